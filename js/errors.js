'use strict'

/**
 * Every error ferroauth throws on purpose, with a stable `code`.
 * Misuse of the API (an option of the wrong type) is a plain `TypeError` instead.
 */
class FerroAuthError extends Error {
  constructor(code, message, options) {
    super(message, options)
    this.name = 'FerroAuthError'
    this.code = code
  }
}

/** The codes, in one place. Values equal their keys so `ErrorCodes.X === 'X'`. */
const ErrorCodes = Object.freeze({
  ERR_JWT_MALFORMED: 'ERR_JWT_MALFORMED',
  ERR_JWT_TOO_LARGE: 'ERR_JWT_TOO_LARGE',
  ERR_JWT_ALG_NOT_ALLOWED: 'ERR_JWT_ALG_NOT_ALLOWED',
  ERR_JWT_TYPE_INVALID: 'ERR_JWT_TYPE_INVALID',
  ERR_JWT_CRIT_UNSUPPORTED: 'ERR_JWT_CRIT_UNSUPPORTED',
  ERR_JWT_KEY_NOT_FOUND: 'ERR_JWT_KEY_NOT_FOUND',
  ERR_JWT_SIGNATURE_INVALID: 'ERR_JWT_SIGNATURE_INVALID',
  ERR_JWT_EXPIRED: 'ERR_JWT_EXPIRED',
  ERR_JWT_NOT_YET_VALID: 'ERR_JWT_NOT_YET_VALID',
  ERR_JWT_CLAIM_INVALID: 'ERR_JWT_CLAIM_INVALID',
  ERR_JWT_CLAIM_MISSING: 'ERR_JWT_CLAIM_MISSING',
  ERR_JWT_CLAIMS_INVALID: 'ERR_JWT_CLAIMS_INVALID',
  ERR_JWT_KEY_INVALID: 'ERR_JWT_KEY_INVALID',
  ERR_JWT_KEY_TOO_WEAK: 'ERR_JWT_KEY_TOO_WEAK',
  ERR_JWT_ALG_UNSUPPORTED: 'ERR_JWT_ALG_UNSUPPORTED',
  ERR_INVALID_OPTION: 'ERR_INVALID_OPTION',
  ERR_PASSWORD_EMPTY: 'ERR_PASSWORD_EMPTY',
  ERR_PASSWORD_TOO_LARGE: 'ERR_PASSWORD_TOO_LARGE',
  ERR_PASSWORD_BCRYPT_TOO_LONG: 'ERR_PASSWORD_BCRYPT_TOO_LONG',
  ERR_PASSWORD_HASH_INVALID: 'ERR_PASSWORD_HASH_INVALID',
  ERR_PASSWORD_HASH_UNSUPPORTED: 'ERR_PASSWORD_HASH_UNSUPPORTED',
  ERR_PASSWORD_HASH_TOO_COSTLY: 'ERR_PASSWORD_HASH_TOO_COSTLY',
  ERR_ABORTED: 'ERR_ABORTED',
  ERR_PASSWORD_TOO_SHORT: 'ERR_PASSWORD_TOO_SHORT',
  ERR_PASSWORD_TOO_LONG: 'ERR_PASSWORD_TOO_LONG',
  ERR_PASSWORD_NO_UPPERCASE: 'ERR_PASSWORD_NO_UPPERCASE',
  ERR_PASSWORD_NO_LOWERCASE: 'ERR_PASSWORD_NO_LOWERCASE',
  ERR_PASSWORD_NO_DIGIT: 'ERR_PASSWORD_NO_DIGIT',
  ERR_PASSWORD_NO_SYMBOL: 'ERR_PASSWORD_NO_SYMBOL',
  ERR_PKCE_VERIFIER_INVALID: 'ERR_PKCE_VERIFIER_INVALID',
  ERR_PKCE_METHOD_UNSUPPORTED: 'ERR_PKCE_METHOD_UNSUPPORTED',
  ERR_RANDOM_FAILED: 'ERR_RANDOM_FAILED',
  ERR_REFRESH_INVALID: 'ERR_REFRESH_INVALID',
  ERR_REFRESH_EXPIRED: 'ERR_REFRESH_EXPIRED',
  ERR_REFRESH_REVOKED: 'ERR_REFRESH_REVOKED',
  ERR_REFRESH_REUSED: 'ERR_REFRESH_REUSED',
  ERR_STORE_UNAVAILABLE: 'ERR_STORE_UNAVAILABLE',
  ERR_STORE_FAILED: 'ERR_STORE_FAILED',
  // Request idempotency.
  ERR_IDEMPOTENCY_MISMATCH: 'ERR_IDEMPOTENCY_MISMATCH',
  ERR_IDEMPOTENCY_IN_PROGRESS: 'ERR_IDEMPOTENCY_IN_PROGRESS',
  ERR_IDEMPOTENCY_KEY_INVALID: 'ERR_IDEMPOTENCY_KEY_INVALID',
  // Rate limiting.
  ERR_RATE_LIMIT_KEY_INVALID: 'ERR_RATE_LIMIT_KEY_INVALID',
})

/** Turns an error thrown by the native core (which carries a known code) into a FerroAuthError. */
function fromNative(error) {
  if (error && typeof error.code === 'string' && Object.hasOwn(ErrorCodes, error.code)) {
    return new FerroAuthError(error.code, error.message)
  }
  return error
}

function argTypeError(name, expected, value) {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
  const error = new TypeError(`${name} must be ${expected}, got ${got}`)
  error.code = 'ERR_INVALID_ARG_TYPE'
  return error
}

module.exports = { FerroAuthError, ErrorCodes, fromNative, argTypeError }
