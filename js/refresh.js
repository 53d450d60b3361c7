'use strict'

// Refresh tokens: argument checks and Date conversion here; tokens, hashing, rotation and
// reuse detection in the native core, store I/O off the main thread.

const native = require('../binding.js')
const { FerroAuthError, ErrorCodes, argTypeError } = require('./errors.js')
const { isString, isDuration, isPlainObject, optionsObject, optional, secretOption, settle, failure } = require('./options.js')
const { storeHandle, nativeCall } = require('./store.js')

const { REFRESH_TOKEN_LENGTH, MAX_USER_ID_BYTES } = native

const isUserId = (v) => (isString(v) && v.length > 0) || Number.isSafeInteger(v)

function userIdArgument(value) {
  if (!isUserId(value)) throw argTypeError('userId', 'a non-empty string or an integer', value)
  // Longer in UTF-16 units means longer in UTF-8 bytes: the core refuses it either way.
  return String(value).slice(0, MAX_USER_ID_BYTES + 1)
}

const missing = () => new FerroAuthError(ErrorCodes.ERR_REFRESH_INVALID, 'Refresh token is missing')
const malformed = () => new FerroAuthError(ErrorCodes.ERR_REFRESH_INVALID, 'Refresh token is invalid: wrong length')

/**
 * A presented token: a string, or nothing (no cookie was sent), which is an invalid token
 * rather than a programming error. Strings of the wrong length never reach the addon.
 */
function tokenArgument(value) {
  if (value === undefined || value === null || value === '') throw missing()
  if (!isString(value)) throw argTypeError('token', 'a string', value)
  if (value.length !== REFRESH_TOKEN_LENGTH) throw malformed()
  return value
}

const header = (headers, name) => {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/**
 * `ctx` is `{ userAgent?, ip? }` or a request (Express, Nest or node:http), from which the
 * `User-Agent` header and the client address (`req.ip`, else the socket's) are taken.
 */
function contextArgument(ctx) {
  if (ctx === undefined || ctx === null) return undefined
  if (!isPlainObject(ctx) && !(typeof ctx === 'object' && isPlainObject(ctx.headers))) {
    throw argTypeError('ctx', 'an object ({ userAgent, ip }) or a request', ctx)
  }
  if (ctx.headers !== null && typeof ctx.headers === 'object') {
    const userAgent = header(ctx.headers, 'user-agent')
    const ip = ctx.ip ?? ctx.socket?.remoteAddress
    return { userAgent: isString(userAgent) ? userAgent : undefined, ip: isString(ip) ? ip : undefined }
  }
  return {
    userAgent: optional(ctx, 'userAgent', isString, 'a string', 'ctx'),
    ip: optional(ctx, 'ip', isString, 'a string', 'ctx'),
  }
}

const toDate = (ms) => new Date(ms)

async function call(pending) {
  return settle(await pending)
}

/**
 * Opaque refresh tokens, rotated on every use, with reuse detection: a token that was
 * already rotated revokes its whole session (`ERR_REFRESH_REUSED`).
 */
class RefreshTokenManager {
  #native

  /**
   * @param {object} options
   * @param {MemoryStore|RedisStore} options.store
   * @param {number|string} [options.ttl='7d'] a session's absolute lifetime
   * @param {number|string} [options.idleTtl] a token unused this long expires
   * @param {number|string} [options.reuseGrace=0] retry window for a lost rotation answer
   * @param {string|Uint8Array} [options.secret] key for HMAC-SHA-256 token hashes
   */
  constructor(options) {
    if (!isPlainObject(options)) throw argTypeError('options', 'an object', options)
    const store = storeHandle(options.store)
    const config = {
      ttl: optional(options, 'ttl', isDuration, 'seconds or a duration string'),
      idleTtl: optional(options, 'idleTtl', isDuration, 'seconds or a duration string'),
      reuseGrace: optional(options, 'reuseGrace', isDuration, 'seconds or a duration string'),
      secret: secretOption(options),
    }
    this.#native = nativeCall(() => new native.RefreshManagerHandle(store, config))
  }

  /** A session's absolute lifetime, in seconds. */
  get ttl() {
    return this.#native.ttlSeconds
  }

  async issue(userId, ctx) {
    const id = userIdArgument(userId)
    const issued = await call(this.#native.issue(id, contextArgument(ctx)))
    return { token: issued.token, familyId: issued.familyId, expiresAt: toDate(issued.expiresAt) }
  }

  async rotate(token, ctx) {
    const presented = tokenArgument(token)
    const rotated = await call(this.#native.rotate(presented, contextArgument(ctx)))
    return {
      token: rotated.token,
      userId: rotated.userId,
      familyId: rotated.familyId,
      expiresAt: toDate(rotated.expiresAt),
    }
  }

  async revoke(token) {
    return call(this.#native.revoke(tokenArgument(token)))
  }

  async revokeFamily(familyId) {
    if (!isString(familyId)) throw argTypeError('familyId', 'a string', familyId)
    return call(this.#native.revokeFamily(familyId))
  }

  async revokeAllForUser(userId) {
    return call(this.#native.revokeAllForUser(userIdArgument(userId)))
  }

  async listSessions(userId) {
    const sessions = await call(this.#native.listSessions(userIdArgument(userId)))
    return sessions.map((s) => ({
      familyId: s.familyId,
      userId: s.userId,
      createdAt: toDate(s.createdAt),
      lastUsedAt: toDate(s.lastUsedAt),
      expiresAt: toDate(s.expiresAt),
      idleExpiresAt: toDate(s.idleExpiresAt),
      userAgent: s.userAgent ?? null,
      ip: s.ip ?? null,
    }))
  }

  /** The hash this manager stores for `token` (for logs and audits: it reveals nothing). */
  hashToken(token) {
    if (!isString(token)) throw argTypeError('token', 'a string', token)
    return this.#native.hash(token)
  }
}

/**
 * A refresh token for apps that keep sessions in their own database: give `token` to the
 * client, store `hash` (and `expiresAt`), and look tokens up by `hashRefreshToken(token)`.
 */
function createRefreshToken(options) {
  const opts = optionsObject(options)
  const ttl = optional(opts, 'ttl', isDuration, 'seconds or a duration string')
  const created = nativeCall(() => native.createRefreshToken(ttl, secretOption(opts)))
  return { token: created.token, hash: created.hash, expiresAt: toDate(created.expiresAt) }
}

/** The hash to look `token` up by; a malformed token throws `ERR_REFRESH_INVALID`. */
function hashRefreshToken(token, options) {
  const presented = tokenArgument(token)
  const opts = optionsObject(options)
  const outcome = native.hashRefreshToken(presented, secretOption(opts))
  if (!isString(outcome)) throw failure(outcome)
  return outcome
}

module.exports = { RefreshTokenManager, createRefreshToken, hashRefreshToken }
