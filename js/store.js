'use strict'

// Stores for the stateful parts. The JS classes only check options; the store itself
// (the in-process maps, the Redis connection and its scripts) is native.

const { StoreHandle } = require('../binding.js')
const { FerroAuthError, ErrorCodes, argTypeError, fromNative } = require('./errors.js')
const { isString, isDuration, optionsObject, optional, settle } = require('./options.js')

/** Where managers find a store's native handle; not part of the public API. */
const kHandle = Symbol('ferroauth.store')

const isUrl = (v) => isString(v) && v.length > 0
const isUrlList = (v) => Array.isArray(v) && v.length > 0 && v.every(isUrl)

function nativeCall(make) {
  try {
    return make()
  } catch (error) {
    throw fromNative(error)
  }
}

/**
 * The embedded store: state lives in this process and is lost when it exits. Right for
 * one process; use `RedisStore` when several processes or machines share sessions.
 */
class MemoryStore {
  constructor() {
    Object.defineProperty(this, kHandle, { value: StoreHandle.memory() })
  }

  /** Resolves once the store answers: at once, for this store. */
  async ping() {
    settle(await this[kHandle].ping())
  }

  /** Session records held (live, revoked or expired but not yet swept). */
  get size() {
    return this[kHandle].size()
  }
}

/**
 * Redis (one server, or a Redis Cluster with `cluster: [urls]`). Connects on first use and
 * reconnects by itself; while Redis is unreachable, calls reject with
 * `ERR_STORE_UNAVAILABLE` after `commandTimeout`.
 */
class RedisStore {
  constructor(options) {
    const opts = optionsObject(options)
    const url = optional(opts, 'url', isUrl, 'a redis:// URL')
    const cluster = optional(opts, 'cluster', isUrlList, 'a non-empty array of redis:// URLs')
    if (url !== undefined && cluster !== undefined) {
      throw new FerroAuthError(ErrorCodes.ERR_INVALID_OPTION, 'RedisStore: give either url or cluster, not both')
    }
    const config = {
      url,
      cluster,
      keyPrefix: optional(opts, 'keyPrefix', isString, 'a string'),
      connectTimeout: optional(opts, 'connectTimeout', isDuration, 'seconds or a duration string'),
      commandTimeout: optional(opts, 'commandTimeout', isDuration, 'seconds or a duration string'),
    }
    Object.defineProperty(this, kHandle, { value: nativeCall(() => StoreHandle.redis(config)) })
  }

  /** Resolves once Redis answers PING; rejects with `ERR_STORE_UNAVAILABLE` otherwise. */
  async ping() {
    settle(await this[kHandle].ping())
  }
}

/** The native handle of a store given in options, or a TypeError naming the option. */
function storeHandle(store, name = 'options.store') {
  const handle = store !== null && typeof store === 'object' ? store[kHandle] : undefined
  if (handle === undefined) throw argTypeError(name, 'a MemoryStore or a RedisStore', store)
  return handle
}

module.exports = { MemoryStore, RedisStore, storeHandle, nativeCall }
