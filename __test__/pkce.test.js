'use strict'

// PKCE (RFC 7636) and random tokens: the Appendix B vector, agreement with node:crypto,
// verifier validation with codes and messages, and randomToken's sizes.

const { test, describe } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')

const { generateCodeVerifier, generateCodeChallenge, randomToken, FerroAuthError, ErrorCodes } = require('..')

const UNRESERVED = /^[A-Za-z0-9\-._~]+$/
const BASE64URL = /^[A-Za-z0-9_-]*$/

function throwsWith(fn, code, message) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof FerroAuthError, `${error.name}: ${error.message}`)
    assert.equal(error.code, code, error.message)
    if (message !== undefined) assert.equal(error.message, message)
    return true
  })
}

function throwsTypeError(fn, message) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof TypeError, `${error.name}: ${error.message}`)
    assert.equal(error.code, 'ERR_INVALID_ARG_TYPE')
    if (message !== undefined) assert.equal(error.message, message)
    return true
  })
}

describe('PKCE', () => {
  test('RFC 7636 Appendix B: S256 (the default method) and plain', () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
    assert.equal(generateCodeChallenge(verifier, 'S256'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')
    assert.equal(generateCodeChallenge(verifier), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')
    assert.equal(generateCodeChallenge(verifier, 'plain'), verifier)
  })

  test('generated verifiers: 43 unreserved characters, distinct, and their challenges match node:crypto', () => {
    const seen = new Set()
    for (let i = 0; i < 500; i++) {
      const verifier = generateCodeVerifier()
      assert.equal(verifier.length, 43)
      assert.match(verifier, UNRESERVED)
      assert.equal(Buffer.from(verifier, 'base64url').length, 32)
      seen.add(verifier)
      const expected = crypto.createHash('sha256').update(verifier).digest('base64url')
      assert.equal(generateCodeChallenge(verifier), expected)
    }
    assert.equal(seen.size, 500)
  })

  test('any valid verifier: 43 to 128 characters of [A-Za-z0-9-._~]', () => {
    for (const verifier of ['a'.repeat(43), '~._-'.repeat(32), 'Z9'.repeat(40)]) {
      assert.equal(generateCodeChallenge(verifier), crypto.createHash('sha256').update(verifier).digest('base64url'))
      assert.equal(generateCodeChallenge(verifier, 'plain'), verifier)
    }
  })

  test('invalid verifiers: ERR_PKCE_VERIFIER_INVALID with the rule broken', () => {
    const short = 'PKCE code verifier is invalid: it is shorter than 43 characters (RFC 7636 §4.1)'
    const long = 'PKCE code verifier is invalid: it is longer than 128 characters (RFC 7636 §4.1)'
    const charset = 'PKCE code verifier is invalid: it may only contain letters, digits and "-._~" (RFC 7636 §4.1)'
    const cases = [
      ['', short],
      ['a'.repeat(42), short],
      ['a'.repeat(129), long],
      ['a'.repeat(5_000_000), long],
      [`${'a'.repeat(42)}+`, charset],
      [`${'a'.repeat(42)}/`, charset],
      [`${'a'.repeat(42)}=`, charset],
      [`${'a'.repeat(42)} `, charset],
      [`${'a'.repeat(42)}\0`, charset],
      [`${'a'.repeat(43)}é`, charset],
    ]
    for (const [verifier, message] of cases) {
      throwsWith(() => generateCodeChallenge(verifier), 'ERR_PKCE_VERIFIER_INVALID', message)
      throwsWith(() => generateCodeChallenge(verifier, 'plain'), 'ERR_PKCE_VERIFIER_INVALID', message)
    }
  })

  test('unknown methods: ERR_PKCE_METHOD_UNSUPPORTED (names are case-sensitive)', () => {
    const verifier = generateCodeVerifier()
    for (const method of ['s256', 'PLAIN', 'S512', 'none', '']) {
      throwsWith(
        () => generateCodeChallenge(verifier, method),
        'ERR_PKCE_METHOD_UNSUPPORTED',
        `PKCE code challenge method ${JSON.stringify(method)} is not supported (use "S256" or "plain")`,
      )
    }
  })

  test('non-string arguments are TypeErrors', () => {
    for (const bad of [undefined, null, 42, Buffer.from('x'.repeat(43)), {}]) {
      throwsTypeError(() => generateCodeChallenge(bad))
    }
    throwsTypeError(() => generateCodeChallenge(generateCodeVerifier(), null), "method must be 'S256' or 'plain', got null")
    throwsTypeError(() => generateCodeChallenge(generateCodeVerifier(), 256))
    throwsTypeError(() => generateCodeChallenge(1), 'verifier must be a string, got number')
  })
})

describe('randomToken', () => {
  test('32 bytes by default: 43 base64url characters without padding', () => {
    const token = randomToken()
    assert.equal(token.length, 43)
    assert.match(token, BASE64URL)
    assert.equal(Buffer.from(token, 'base64url').length, 32)
  })

  test('any size from 1 to 1024 bytes', () => {
    for (const bytes of [1, 2, 3, 16, 33, 64, 1024]) {
      const token = randomToken(bytes)
      assert.equal(token.length, Math.ceil((bytes * 4) / 3), `${bytes} bytes`)
      assert.match(token, BASE64URL)
      assert.equal(Buffer.from(token, 'base64url').length, bytes)
    }
  })

  test('tokens are distinct and their bytes look uniform', () => {
    const tokens = new Set(Array.from({ length: 2000 }, () => randomToken(16)))
    assert.equal(tokens.size, 2000)
    // 64 KiB of output: every byte value appears, none wildly often (expected 256 each).
    const counts = new Array(256).fill(0)
    for (let i = 0; i < 64; i++) for (const byte of Buffer.from(randomToken(1024), 'base64url')) counts[byte]++
    assert.ok(Math.min(...counts) > 150 && Math.max(...counts) < 380, `${Math.min(...counts)}..${Math.max(...counts)}`)
  })

  test('sizes out of range: ERR_INVALID_OPTION; non-integers: TypeError', () => {
    for (const bytes of [0, -1, 1025, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      throwsWith(() => randomToken(bytes), 'ERR_INVALID_OPTION', 'bytes must be an integer from 1 to 1024')
    }
    for (const bytes of [1.5, '32', null, Number.NaN, Infinity, 32n]) {
      throwsTypeError(() => randomToken(bytes))
    }
    throwsTypeError(() => randomToken('32'), 'bytes must be an integer, got string')
  })
})

test('the PKCE and random codes are in ErrorCodes', () => {
  for (const code of ['ERR_PKCE_VERIFIER_INVALID', 'ERR_PKCE_METHOD_UNSUPPORTED', 'ERR_RANDOM_FAILED', 'ERR_INVALID_OPTION']) {
    assert.equal(ErrorCodes[code], code)
  }
})
