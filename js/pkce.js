'use strict'

// PKCE (RFC 7636) and random tokens: argument checks here, the CSPRNG, SHA-256 and the
// verifier rules in the native core.

const native = require('../binding.js')
const { FerroAuthError, argTypeError } = require('./errors.js')

/** RFC 7636 allows at most 128 characters; a longer string is cut just past that, since it is refused either way. */
const MAX_VERIFIER_LENGTH = 128

function settle(outcome) {
  if (typeof outcome === 'string') return outcome
  throw new FerroAuthError(outcome.code, outcome.message)
}

/** A new code verifier: 43 characters (32 bytes from the OS CSPRNG, base64url). */
function generateCodeVerifier() {
  return settle(native.generateCodeVerifier())
}

/** The code challenge for `verifier`: BASE64URL(SHA-256(verifier)) for 'S256' (the default), the verifier for 'plain'. */
function generateCodeChallenge(verifier, method = 'S256') {
  if (typeof verifier !== 'string') throw argTypeError('verifier', 'a string', verifier)
  if (typeof method !== 'string') throw argTypeError('method', "'S256' or 'plain'", method)
  const text = verifier.length > MAX_VERIFIER_LENGTH ? verifier.slice(0, MAX_VERIFIER_LENGTH + 1) : verifier
  return settle(native.generateCodeChallenge(text, method))
}

/** `bytes` random bytes from the OS CSPRNG as base64url (no padding). Default 32 bytes (43 characters). */
function randomToken(bytes = 32) {
  if (!Number.isInteger(bytes)) throw argTypeError('bytes', 'an integer', bytes)
  return settle(native.randomToken(bytes))
}

module.exports = { generateCodeVerifier, generateCodeChallenge, randomToken }
