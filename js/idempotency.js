'use strict'

// Request idempotency: argument checks and the response's JS shape here; the fingerprint
// (canonical JSON, SHA-256), the records' rules and their store I/O in the native core.

const native = require('../binding.js')
const { argTypeError } = require('./errors.js')
const { isString, isDuration, isBytes, isPlainObject, toBuffer, optionsObject, optional, settle } = require('./options.js')
const { MemoryStore, storeHandle, nativeCall } = require('./store.js')

const { MAX_IDEMPOTENCY_KEY_BYTES } = native

/**
 * The body as the native fingerprint takes it: absent, raw bytes (a string or a Buffer), or
 * JSON text to canonicalise (any other value, as JSON.stringify sees it).
 */
function fingerprintOf(method, path, body) {
  if (body === undefined) return native.requestFingerprint(method, path, undefined, false)
  if (isString(body)) return native.requestFingerprint(method, path, body, false)
  if (isBytes(body)) return native.requestFingerprint(method, path, toBuffer(body), false)
  const text = JSON.stringify(body)
  if (text === undefined) throw argTypeError('request.body', 'JSON data, a string or a Buffer', body)
  return native.requestFingerprint(method, path, text, true)
}

/**
 * SHA-256 (lowercase hex) of a request: the method (upper-cased), the path and the body,
 * JSON bodies in canonical form so that key order does not matter.
 */
function requestFingerprint(request) {
  if (!isPlainObject(request)) throw argTypeError('request', 'an object ({ method, path, body })', request)
  const { method, path, body } = request
  if (!isString(method) || method === '') throw argTypeError('request.method', 'a non-empty string', method)
  if (!isString(path)) throw argTypeError('request.path', 'a string', path)
  return fingerprintOf(method, path, body)
}

function keyArgument(key) {
  if (!isString(key)) throw argTypeError('key', 'a string', key)
  // Longer in UTF-16 units means longer in UTF-8 bytes: the core refuses it either way.
  return key.length > MAX_IDEMPOTENCY_KEY_BYTES ? key.slice(0, MAX_IDEMPOTENCY_KEY_BYTES + 1) : key
}

function stringArgument(name, value) {
  if (!isString(value)) throw argTypeError(name, 'a string', value)
  return value
}

/** `{ name: value | value[] }` (what `res.getHeaders()` gives) as a flat list of names and values. */
function flatHeaders(headers) {
  const flat = []
  for (const name of Object.keys(headers)) {
    const value = headers[name]
    if (Array.isArray(value)) {
      for (const item of value) flat.push(name, String(item))
    } else if (value !== undefined) {
      flat.push(name, String(value))
    }
  }
  return flat
}

/** The flat list back as `{ name: value }`, a repeated name as an array of its values. */
function headerObject(flat) {
  const headers = {}
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]
    const previous = headers[name]
    if (previous === undefined) headers[name] = flat[i + 1]
    else if (Array.isArray(previous)) previous.push(flat[i + 1])
    else headers[name] = [previous, flat[i + 1]]
  }
  return headers
}

const isHeaders = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)
const isStatus = (v) => Number.isInteger(v) && v >= 100 && v <= 999

function responseArgument(response) {
  if (!isPlainObject(response)) throw argTypeError('response', 'an object ({ status, headers, body })', response)
  const { status, headers = {}, body } = response
  if (!isStatus(status)) throw argTypeError('response.status', 'an HTTP status code (an integer from 100 to 999)', status)
  if (!isHeaders(headers)) throw argTypeError('response.headers', 'an object', headers)
  let bytes
  if (body === undefined || body === null) bytes = Buffer.alloc(0)
  else if (isString(body)) bytes = Buffer.from(body)
  else if (isBytes(body)) bytes = toBuffer(body)
  else throw argTypeError('response.body', 'a Buffer, a Uint8Array or a string', body)
  return { status, headers: flatHeaders(headers), body: bytes }
}

/**
 * Idempotent requests on a store: `begin` once per request, then `complete` with its
 * response or `abort`. A key is taken by the first request for `lockTtl`; its response is
 * replayed for `ttl` after `complete`.
 */
class IdempotencyStore {
  #native

  /**
   * @param {object} [options]
   * @param {MemoryStore|RedisStore} [options.store] default: a new MemoryStore
   * @param {number|string} [options.ttl='10m'] how long a completed response is replayed
   * @param {number|string} [options.lockTtl=ttl] how long a started request holds its key
   */
  constructor(options) {
    const opts = optionsObject(options)
    const store = storeHandle(opts.store === undefined ? new MemoryStore() : opts.store)
    const config = {
      ttl: optional(opts, 'ttl', isDuration, 'seconds or a duration string'),
      lockTtl: optional(opts, 'lockTtl', isDuration, 'seconds or a duration string'),
    }
    this.#native = nativeCall(() => new native.IdempotencyHandle(store, config))
  }

  /** How long a completed response is replayed, in seconds. */
  get ttl() {
    return this.#native.ttlSeconds
  }

  /** How long a started request holds its key, in seconds. */
  get lockTtl() {
    return this.#native.lockTtlSeconds
  }

  async begin(key, fingerprint) {
    const begun = settle(await this.#native.begin(keyArgument(key), stringArgument('fingerprint', fingerprint)))
    if (!begun.replay) return { replay: false, lease: begun.lease }
    return { replay: true, response: { status: begun.status, headers: headerObject(begun.headers), body: begun.body } }
  }

  async complete(key, lease, response) {
    const k = keyArgument(key)
    const l = stringArgument('lease', lease)
    const { status, headers, body } = responseArgument(response)
    return settle(await this.#native.complete(k, l, status, headers, body))
  }

  async abort(key, lease) {
    return settle(await this.#native.abort(keyArgument(key), stringArgument('lease', lease)))
  }
}

module.exports = { IdempotencyStore, requestFingerprint, fingerprintOf }
