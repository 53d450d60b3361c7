'use strict'

// The framework-free half of the adapters: find the bearer token on a request, verify it,
// build the user, and describe the HTTP answer when that fails. Express and NestJS only
// translate the outcome into their own response/exception.

const { TokenVerifier, toUserPayload } = require('./jwt.js')
const { ErrorCodes, argTypeError } = require('./errors.js')

const VERIFIER_OPTIONS = [
  'secret', 'publicKey', 'jwks', 'algorithms', 'issuer', 'audience', 'clockTolerance',
  'maxTokenAge', 'requiredClaims', 'requireExpiration', 'maxTokenLength', 'cache',
]

/** Nest-style error bodies: `{ statusCode, message, error }`. */
function failure(status, message, challenge) {
  const error = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Bad Request'
  return { ok: false, status, body: { statusCode: status, message, error }, wwwAuthenticate: challenge }
}

/**
 * RFC 6750 §3: quoted-string values hold only %x20-21 / %x23-5B / %x5D-7E. `"` and `\` become
 * `'`; anything else outside printable ASCII (which would also make setHeader throw) becomes `?`.
 */
const quote = (text) => `"${String(text).replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?')}"`

function invalidToken(message, description) {
  return failure(401, message, `Bearer error="invalid_token", error_description=${quote(description)}`)
}

const MISSING = failure(401, 'Missing bearer token', 'Bearer')
Object.freeze(MISSING.body)
Object.freeze(MISSING)

/** `Authorization: Bearer <token>`, scheme case-insensitive (RFC 7235 §2.1). */
function bearerToken(req) {
  const header = req.headers?.authorization
  if (typeof header !== 'string') return undefined
  if (header.indexOf(' ') !== 6) return undefined
  // Comparing a slice first: String.prototype.startsWith costs several times as much in V8.
  const scheme = header.slice(0, 6)
  if (scheme !== 'Bearer' && scheme.toLowerCase() !== 'bearer') return undefined
  const token = header.slice(7).trim()
  return token === '' ? undefined : token
}

/** A cookie value by name, from a parsed `req.cookies` or the raw header. */
function cookieToken(req, name) {
  const parsed = req.cookies?.[name]
  if (typeof parsed === 'string' && parsed !== '') return parsed
  const header = req.headers?.cookie
  if (typeof header !== 'string') return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim()
      try {
        return value === '' ? undefined : decodeURIComponent(value)
      } catch {
        return value
      }
    }
  }
  return undefined
}

function describe(error) {
  switch (error.code) {
    case ErrorCodes.ERR_JWT_EXPIRED:
      return invalidToken('Token has expired', 'The access token expired')
    case ErrorCodes.ERR_JWT_NOT_YET_VALID:
      return invalidToken('Token is not yet valid', 'The access token is not valid yet')
    default:
      return invalidToken('Invalid token', error.message)
  }
}

const isThenable = (value) => value !== null && typeof value === 'object' && typeof value.then === 'function'

/**
 * Builds `authenticate(req, context?) → outcome | Promise<outcome>` from adapter options: the
 * outcome itself when nothing asynchronous is involved (no `getUserInfo`, no `isRevoked`, and
 * `getToken` absent or returning a string), so the per-request path allocates no promise;
 * otherwise a Promise of it. A throw from `getToken` is thrown, rejections are rejections.
 * An outcome is `{ ok: true, user, token }` (user undefined when no credentials were sent
 * and none are required) or `{ ok: false, status, body, wwwAuthenticate }`.
 */
function createRequestAuthenticator(options) {
  if (options === null || typeof options !== 'object') throw argTypeError('options', 'an object', options)
  const { getUserInfo, getToken, isRevoked, cookie } = options
  for (const [name, value] of Object.entries({ getUserInfo, getToken, isRevoked })) {
    if (value !== undefined && typeof value !== 'function') throw argTypeError(`options.${name}`, 'a function', value)
  }
  if (cookie !== undefined && typeof cookie !== 'string') throw argTypeError('options.cookie', 'a cookie name', cookie)
  let verifier = options.verifier
  if (verifier === undefined) {
    // The adapters remember verified tokens unless told not to: a client sends the same access
    // token with every request until it expires, and an entry answers only for the very same
    // token string, until its exp, while isRevoked and getUserInfo still run on every request.
    const verifierOptions = { cache: true }
    for (const key of VERIFIER_OPTIONS) if (options[key] !== undefined) verifierOptions[key] = options[key]
    verifier = new TokenVerifier(verifierOptions)
  } else if (!(verifier instanceof TokenVerifier)) {
    throw argTypeError('options.verifier', 'a TokenVerifier', verifier)
  }
  const credentialsRequired = options.credentialsRequired ?? true
  const hasHooks = isRevoked !== undefined || getUserInfo !== undefined

  // `context` is whatever the adapter passes along (NestJS: the ExecutionContext), for getToken.
  const findToken = getToken
    ? (req, context) => getToken(req, context)
    : cookie
      ? (req) => bearerToken(req) ?? cookieToken(req, cookie)
      : bearerToken

  async function withHooks(payload, user, token) {
    if (isRevoked && (await isRevoked(payload, token))) {
      return invalidToken('Token has been revoked', 'The access token has been revoked')
    }
    if (getUserInfo) {
      // No `sub`, no lookup: `findById(undefined)` returns the first row in some ORMs.
      const info = user.userId === undefined ? undefined : await getUserInfo(user.userId)
      if (info === null || info === undefined) return invalidToken('User not found', 'The token subject is unknown')
      user = { ...user, ...info, userId: user.userId, claims: user.claims }
    }
    return { ok: true, user, token }
  }

  function withToken(token) {
    if (token === undefined || token === null || token === '') {
      return credentialsRequired ? MISSING : { ok: true, user: undefined, token: undefined }
    }
    const result = verifier.verify(token)
    if (!result.valid) return describe(result.error)
    const user = toUserPayload(result.payload)
    return hasHooks ? withHooks(result.payload, user, token) : { ok: true, user, token }
  }

  return function authenticate(req, context) {
    const token = findToken(req, context)
    return isThenable(token) ? Promise.resolve(token).then(withToken) : withToken(token)
  }
}

/** 403 with RFC 6750's `insufficient_scope` unless `user` holds every entry of `wanted` in `field`. */
function checkGrants(user, field, wanted) {
  const held = user?.[field] ?? []
  const missing = wanted.filter((w) => !held.includes(w))
  if (missing.length === 0) return { ok: true }
  const what = field === 'scopes' ? 'scope' : 'role'
  const message = `Insufficient ${what}: requires ${wanted.join(', ')}`
  const challenge = `Bearer error="insufficient_scope", error_description=${quote(message)}` +
    (field === 'scopes' ? `, scope=${quote(wanted.join(' '))}` : '')
  return failure(403, message, challenge)
}

module.exports = { createRequestAuthenticator, checkGrants, bearerToken, cookieToken, MISSING_TOKEN: MISSING }
