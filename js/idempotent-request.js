'use strict'

// The framework-free half of the idempotency adapters: read and check the key header, scope
// it, fingerprint the request, begin; then either replay a stored response onto node:http's
// response, or capture the response the handler writes and store it before it finishes.
// Express and NestJS only translate the outcome (pass on, replayed, or an error answer).

const { FerroAuthError, ErrorCodes, argTypeError } = require('./errors.js')
const { isString, isBoolean, isDuration, optionsObject, optional } = require('./options.js')
const { IdempotencyStore, fingerprintOf } = require('./idempotency.js')

const DEFAULT_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE']
const MAX_HEADER_LENGTH = 255
/** Headers that describe one connection or one transmission, not the response: never stored. */
const UNSTORED_HEADERS = new Set(['set-cookie', 'date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length'])
/** Answers a retry should not get again: the request may well succeed next time. */
const RETRYABLE_STATUSES = new Set([408, 425, 429])

const MISMATCH_MESSAGE = 'Idempotency key already used with a different payload'
const IN_PROGRESS_MESSAGE = 'A request with this idempotency key is still being processed'
const UNAVAILABLE_MESSAGE = 'Idempotency store is unavailable'

/** Nest-style error answers: `{ status, body: { statusCode, message, error } }`. */
const answer = (status, error, message) => Object.freeze({ status, body: Object.freeze({ statusCode: status, message, error }) })
const MISMATCH = answer(409, 'Conflict', MISMATCH_MESSAGE)
const IN_PROGRESS = answer(409, 'Conflict', IN_PROGRESS_MESSAGE)
const UNAVAILABLE = answer(503, 'Service Unavailable', UNAVAILABLE_MESSAGE)
const badRequest = (message) => answer(400, 'Bad Request', message)

/** What `start` decided. */
const PASS = Object.freeze({ kind: 'pass' })
const RUN = Object.freeze({ kind: 'run' })
const REPLAYED = Object.freeze({ kind: 'replayed' })
const reject = (failure) => ({ kind: 'reject', ...failure })

const isMethodList = (v) => Array.isArray(v) && v.every((m) => isString(m) && m !== '')
const isHeaderName = (v) => isString(v) && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(v)
const isFunction = (v) => typeof v === 'function'
// Printable ASCII: what RFC 9110 field values may safely hold, and what keys are made of.
const PRINTABLE = /^[\x20-\x7e]*$/

const defaultScope = (req) => req.user?.userId ?? ''

function hasBody(req) {
  const length = req.headers['content-length']
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined
}

function unparsedBody(req) {
  return new FerroAuthError(
    ErrorCodes.ERR_INVALID_OPTION,
    `idempotency: the request has a body (${req.headers['content-type'] ?? 'no content-type'}) but req.body is undefined. ` +
      'Mount a body parser that handles it, e.g. app.use(express.json()), before the idempotency middleware, ' +
      'so that the fingerprint covers the payload',
  )
}

/**
 * Builds the request handler from adapter options:
 * `start(req, res) → Promise<{ kind: 'pass' | 'run' | 'replayed' } | { kind: 'reject', status, body }>`.
 * 'run': the response is being captured and will be stored (or the key released) when it ends.
 */
function createRequestIdempotency(options) {
  const opts = optionsObject(options)
  const store = new IdempotencyStore({
    store: opts.store,
    ttl: optional(opts, 'ttl', isDuration, 'seconds or a duration string'),
    lockTtl: optional(opts, 'lockTtl', isDuration, 'seconds or a duration string'),
  })
  const methods = new Set((optional(opts, 'methods', isMethodList, 'an array of HTTP methods') ?? DEFAULT_METHODS).map((m) => m.toUpperCase()))
  const header = optional(opts, 'header', isHeaderName, 'a header name') ?? 'Idempotency-Key'
  const required = optional(opts, 'required', isBoolean, 'a boolean') ?? false
  const scope = optional(opts, 'scope', isFunction, 'a function') ?? defaultScope
  const headerKey = header.toLowerCase()

  const MISSING = badRequest(`${header} header is required`)
  const EMPTY = badRequest(`${header} header must not be empty`)
  const TOO_LONG = badRequest(`${header} header must be at most ${MAX_HEADER_LENGTH} characters`)
  const NOT_PRINTABLE = badRequest(`${header} header must contain only printable ASCII characters`)

  async function start(req, res) {
    if (!methods.has(req.method)) return PASS
    const value = req.headers[headerKey]
    if (value === undefined) return required ? reject(MISSING) : PASS
    if (value === '') return reject(EMPTY)
    if (value.length > MAX_HEADER_LENGTH) return reject(TOO_LONG)
    if (!PRINTABLE.test(value)) return reject(NOT_PRINTABLE)
    const owner = await scope(req)
    if (!isString(owner) && typeof owner !== 'number') throw argTypeError('the scope(req) option', 'a function returning a string', owner)
    const text = String(owner)
    // Length-prefixed, so no owner and key can pass for another pair.
    const key = `${text.length}:${text}:${value}`
    if (req.body === undefined && hasBody(req)) throw unparsedBody(req)
    const fingerprint = fingerprintOf(req.method, req.originalUrl ?? req.url, req.body)

    let begun
    try {
      begun = await store.begin(key, fingerprint)
    } catch (error) {
      switch (error.code) {
        case ErrorCodes.ERR_IDEMPOTENCY_MISMATCH:
          return reject(MISMATCH)
        case ErrorCodes.ERR_IDEMPOTENCY_IN_PROGRESS:
          return reject(IN_PROGRESS)
        case ErrorCodes.ERR_STORE_UNAVAILABLE:
          return reject(UNAVAILABLE)
        default:
          throw error
      }
    }
    if (begun.replay) {
      replay(res, begun.response)
      return REPLAYED
    }
    capture(res, (response) => finish(key, begun.lease, response))
    return RUN
  }

  /** Stores what the handler answered, or releases the key for an answer a retry should not get. */
  async function finish(key, lease, response) {
    try {
      if (response === undefined || response.status >= 500 || RETRYABLE_STATUSES.has(response.status)) {
        await store.abort(key, lease)
      } else {
        await store.complete(key, lease, response)
      }
    } catch {
      // The answer goes out regardless. Unstored, the key stays in progress until lockTtl:
      // a retry is refused with 409, never run twice.
    }
  }

  return { start }
}

/** Sends a stored response: its status, headers and body as stored, plus `Idempotent-Replayed`. */
function replay(res, response) {
  res.statusCode = response.status
  for (const name of Object.keys(response.headers)) res.setHeader(name, response.headers[name])
  res.setHeader('Idempotent-Replayed', 'true')
  res.end(response.body)
}

const toBytes = (chunk, encoding) => (typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))

/**
 * Records what is written to a node:http response (status, headers, body bytes). Writes go
 * through as they come; the end waits until `onEnd({ status, headers, body })` has settled,
 * so a retry that follows the client's receipt of this answer finds it stored. A response
 * closed without an end calls `onEnd(undefined)`.
 */
function capture(res, onEnd) {
  const { writeHead, write, end } = res
  const chunks = []
  let ended = false

  // Headers given to writeHead directly never reach getHeaders(): set them first.
  res.writeHead = function (statusCode, reason, headers) {
    const fields = typeof reason === 'string' ? headers : reason
    if (fields !== null && typeof fields === 'object' && !Array.isArray(fields) && !this.headersSent) {
      for (const name of Object.keys(fields)) this.setHeader(name, fields[name])
      return typeof reason === 'string' ? writeHead.call(this, statusCode, reason) : writeHead.call(this, statusCode)
    }
    return writeHead.apply(this, arguments)
  }
  res.write = function (chunk, encoding) {
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') chunks.push(toBytes(chunk, encoding))
    return write.apply(this, arguments)
  }
  res.end = function (chunk, encoding) {
    if (ended) return end.apply(this, arguments)
    ended = true
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') chunks.push(toBytes(chunk, encoding))
    res.writeHead = writeHead
    res.write = write
    res.end = end
    const headers = {}
    const all = this.getHeaders()
    for (const name of Object.keys(all)) if (!UNSTORED_HEADERS.has(name)) headers[name] = all[name]
    const response = { status: this.statusCode, headers, body: Buffer.concat(chunks) }
    const args = arguments
    onEnd(response).then(() => end.apply(this, args))
    return this
  }
  res.once('close', () => {
    if (!ended) {
      ended = true
      onEnd(undefined)
    }
  })
}

module.exports = { createRequestIdempotency }
