'use strict'

// Rate limiting: option and argument checks here; the sliding-window logs, their validation
// and the store I/O in the native core.

const native = require('../binding.js')
const { FerroAuthError, argTypeError } = require('./errors.js')
const { isString, isDuration, isPlainObject, isPromise, optional, settle } = require('./options.js')
const { MemoryStore, storeHandle, nativeCall } = require('./store.js')

const { MAX_RATE_LIMIT_KEY_BYTES } = native

/** The adapters' access to a decision with `resetAfter` (seconds, on the store's clock). */
const kDecide = Symbol('ferroauth.rateLimit.decide')

/** What @nestjs/throttler answers with, so clients written against it keep working. */
const TOO_MANY_REQUESTS = Object.freeze({ statusCode: 429, message: 'ThrottlerException: Too Many Requests' })
const STORE_UNAVAILABLE = Object.freeze({ statusCode: 503, message: 'Rate limit store is unavailable', error: 'Service Unavailable' })
const STORE_FAILURES = new Set(['ERR_STORE_UNAVAILABLE', 'ERR_STORE_FAILED'])
const isStoreFailure = (error) => error instanceof FerroAuthError && STORE_FAILURES.has(error.code)

/** The headers @nestjs/throttler sets, as [name, value] pairs; `Retry-After` when denied. */
function decisionHeaders(decision, withLimits) {
  const headers = withLimits
    ? [
        ['X-RateLimit-Limit', String(decision.limit)],
        ['X-RateLimit-Remaining', String(decision.remaining)],
        ['X-RateLimit-Reset', String(decision.resetAfter)],
      ]
    : []
  if (!decision.allowed) headers.push(['Retry-After', String(decision.retryAfter)])
  return headers
}

function keyArgument(key) {
  if (!isString(key)) throw argTypeError('key', 'a string', key)
  // Longer in UTF-16 units means longer in UTF-8 bytes: the core refuses it either way.
  return key.length > MAX_RATE_LIMIT_KEY_BYTES ? key.slice(0, MAX_RATE_LIMIT_KEY_BYTES + 1) : key
}

/**
 * "At most `limit` hits in any `window`" per key (an exact sliding window). Denied hits are
 * not counted, so hammering a locked key does not extend the lockout.
 */
class RateLimiter {
  #native
  /** Where memory-store decisions land (see `consumeInto` in src/node/ratelimit.rs); undefined on Redis. */
  #decision

  /**
   * @param {object} options
   * @param {MemoryStore|RedisStore} [options.store] default: a new MemoryStore
   * @param {number} options.limit allowed hits per window, an integer from 1 to 100000
   * @param {number|string} options.window seconds, or a duration string like '1m'
   * @param {string} [options.name] limiters with the same name share their counts
   */
  constructor(options) {
    if (!isPlainObject(options)) throw argTypeError('options', 'an object', options)
    const store = options.store === undefined ? storeHandle(new MemoryStore()) : storeHandle(options.store)
    if (typeof options.limit !== 'number') throw argTypeError('options.limit', 'a number', options.limit)
    if (!isDuration(options.window)) throw argTypeError('options.window', 'seconds or a duration string', options.window)
    const config = {
      limit: options.limit,
      window: options.window,
      name: optional(options, 'name', isString, 'a string'),
    }
    this.#native = nativeCall(() => new native.RateLimiterHandle(store, config))
    if (this.#native.inProcess) this.#decision = new Float64Array(6)
  }

  /** Allowed hits per window. */
  get limit() {
    return this.#native.limit
  }

  /** The window, in seconds. */
  get window() {
    return this.#native.windowSeconds
  }

  /**
   * One hit for `key`: `{ allowed, limit, remaining, retryAfter, resetAt }`. `remaining` is
   * how many more hits are allowed now, `retryAfter` the whole seconds until one is (0 when
   * this one was), `resetAt` when the whole allowance is back.
   */
  async consume(key) {
    let d = this[kDecide](key)
    if (isPromise(d)) d = await d
    return { allowed: d.allowed, limit: d.limit, remaining: d.remaining, retryAfter: d.retryAfter, resetAt: new Date(d.resetAt) }
  }

  /**
   * The decision with `resetAfter` (seconds until `resetAt`, on the store's clock), for the
   * adapters: on the memory store made during the call and returned as it is (a bad key
   * throws), on Redis a promise of it.
   */
  [kDecide](key) {
    const out = this.#decision
    if (out === undefined) return this.#native.consume(keyArgument(key)).then(settle)
    const failed = this.#native.consumeInto(keyArgument(key), out)
    if (failed != null) settle(failed)
    return { allowed: out[0] === 1, limit: out[1], remaining: out[2], retryAfter: out[3], resetAt: out[4], resetAfter: out[5] }
  }

  /** Forgets `key`'s hits (e.g. after a successful login). */
  async reset(key) {
    settle(await this.#native.reset(keyArgument(key)))
  }
}

module.exports = { RateLimiter, kDecide, TOO_MANY_REQUESTS, STORE_UNAVAILABLE, isStoreFailure, decisionHeaders }
