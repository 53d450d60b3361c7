'use strict'

// Hostile tokens. Every case asserts the exact error code (and the claim, for claim errors)
// and that verify() returns instead of throwing. Tokens are hand-made here, with node:crypto,
// so that each carries exactly one fault: where the fault is not in the signature, the
// signature is valid over the exact (even malformed) text, so the expected code does not
// depend on whether the implementation looks at the signature or the fault first.

const { test, describe } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { generateKeyPair } = require('./helpers/keys.js')

const { TokenSigner, TokenVerifier, verifyAccessToken } = require('..')

const VERIFY_CODES = new Set([
  'ERR_JWT_MALFORMED',
  'ERR_JWT_TOO_LARGE',
  'ERR_JWT_ALG_NOT_ALLOWED',
  'ERR_JWT_TYPE_INVALID',
  'ERR_JWT_CRIT_UNSUPPORTED',
  'ERR_JWT_KEY_NOT_FOUND',
  'ERR_JWT_SIGNATURE_INVALID',
  'ERR_JWT_EXPIRED',
  'ERR_JWT_NOT_YET_VALID',
  'ERR_JWT_CLAIM_INVALID',
  'ERR_JWT_CLAIM_MISSING',
])

const SECRET = 'hostile-suite-secret-0123456789abcdef' // 37 bytes: no short-secret warning for HS256
const now = () => Math.floor(Date.now() / 1000)

const RSA = generateKeyPair('rsa', { modulusLength: 2048 })
const RSA_SPKI = RSA.publicKey.export({ type: 'spki', format: 'pem' })
const RSA_PKCS1 = RSA.publicKey.export({ type: 'pkcs1', format: 'pem' })
const EC = generateKeyPair('ec', { namedCurve: 'P-256' })
const EC_SPKI = EC.publicKey.export({ type: 'spki', format: 'pem' })
const ATTACKER_EC = generateKeyPair('ec', { namedCurve: 'P-256' })

// ---- token crafting ----------------------------------------------------------------------

const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const HASH = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }

/** `${h}.${p}.${HMAC(secret, h.p)}` over the exact segment text given. */
function hmacRaw(h, p, { alg = 'HS256', secret = SECRET } = {}) {
  return `${h}.${p}.${crypto.createHmac(HASH[alg], secret).update(`${h}.${p}`).digest('base64url')}`
}

/** An HMAC-signed token from a header and payload (objects or raw JSON text). */
function hmacToken(header, payload, options = {}) {
  return hmacRaw(b64(header), b64(payload), { alg: header.alg in HASH ? header.alg : 'HS256', ...options })
}

function ecToken(header, payload, privateKey = EC.privateKey) {
  const input = `${b64(header)}.${b64(payload)}`
  const sig = crypto.sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
  return `${input}.${sig.toString('base64url')}`
}

const goodClaims = (extra = {}) => ({ sub: 'user-1', exp: now() + 600, ...extra })
const HEADER = { alg: 'HS256', typ: 'JWT' }

function assertInvalid(result, code, claim) {
  assert.equal(typeof result, 'object')
  assert.equal(result.valid, false, `expected ${code}, got a valid result`)
  assert.equal(result.error.code, code, `expected ${code}, got ${result.error.code}: ${result.error.message}`)
  assert.equal(typeof result.error.message, 'string')
  assert.ok(result.error.message.length > 0, 'the error has a message')
  if (claim !== undefined) assert.equal(result.error.claim, claim, `claim of ${code}`)
}

function assertValid(result) {
  assert.equal(result.valid, true, result.valid ? '' : `${result.error.code}: ${result.error.message}`)
  return result.payload
}

/** verify() must return, never throw, whatever the input. */
function verifySafely(verifier, token) {
  try {
    return verifier.verify(token)
  } catch (error) {
    assert.fail(`verify threw for ${describeValue(token)}: ${error && error.stack}`)
  }
}

function describeValue(value) {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…(${value.length})` : value)
  if (typeof value === 'symbol') return value.toString()
  return `${typeof value} ${Object.prototype.toString.call(value)}`
}

const hs = new TokenVerifier({ secret: SECRET })

// A control: the crafting helpers make tokens ferroauth accepts.
test('control: hand-made HS256 and ES256 tokens verify', () => {
  assert.equal(assertValid(hs.verify(hmacToken(HEADER, goodClaims()))).sub, 'user-1')
  assertValid(hs.verify(hmacToken({ alg: 'HS256' }, goodClaims())))
  assertValid(new TokenVerifier({ publicKey: EC_SPKI }).verify(ecToken({ alg: 'ES256' }, goodClaims())))
})

// ---- algorithm attacks ---------------------------------------------------------------------

describe('alg none and algorithm confusion', () => {
  const NONE_CASINGS = ['none', 'None', 'NONE', 'nOnE', 'noNe']

  test('alg none (every casing) with an empty signature is refused', () => {
    for (const alg of NONE_CASINGS) {
      const token = `${b64({ alg, typ: 'JWT' })}.${b64(goodClaims())}.`
      assert.equal(hs.verify(token).valid, false, alg)
      assert.equal(new TokenVerifier({ publicKey: RSA_SPKI }).verify(token).valid, false, alg)
    }
  })

  // The spec lists an empty segment nowhere under ERR_JWT_MALFORMED ("" is valid base64url
  // for zero bytes), and puts alg 'none' (any case) at step 2: ERR_JWT_ALG_NOT_ALLOWED.
  test('alg none (every casing) with an empty signature -> ERR_JWT_ALG_NOT_ALLOWED', () => {
    for (const alg of NONE_CASINGS) {
      const token = `${b64({ alg, typ: 'JWT' })}.${b64(goodClaims())}.`
      assertInvalid(hs.verify(token), 'ERR_JWT_ALG_NOT_ALLOWED')
      assertInvalid(new TokenVerifier({ publicKey: RSA_SPKI }).verify(token), 'ERR_JWT_ALG_NOT_ALLOWED')
    }
  })

  for (const alg of NONE_CASINGS) {
    test(`alg "${alg}" with a signature (HMAC of the input with the real secret) -> ERR_JWT_ALG_NOT_ALLOWED`, () => {
      const token = hmacToken({ alg, typ: 'JWT' }, goodClaims())
      assertInvalid(hs.verify(token), 'ERR_JWT_ALG_NOT_ALLOWED')
      const withJunk = `${b64({ alg })}.${b64(goodClaims())}.${crypto.randomBytes(32).toString('base64url')}`
      assertInvalid(hs.verify(withJunk), 'ERR_JWT_ALG_NOT_ALLOWED')
    })
  }

  test('alg none without the third segment -> ERR_JWT_MALFORMED (segment count is checked first)', () => {
    assertInvalid(hs.verify(`${b64({ alg: 'none' })}.${b64(goodClaims())}`), 'ERR_JWT_MALFORMED')
  })

  test('HS256 signed with the RSA public key PEM as the HMAC secret, against an RSA verifier -> ERR_JWT_ALG_NOT_ALLOWED', () => {
    for (const publicKey of [RSA_SPKI, RSA_PKCS1]) {
      const verifier = new TokenVerifier({ publicKey })
      for (const secret of [RSA_SPKI, RSA_PKCS1, RSA.publicKey.export({ type: 'spki', format: 'der' })]) {
        const token = hmacToken({ alg: 'HS256', typ: 'JWT' }, goodClaims(), { secret })
        assertInvalid(verifier.verify(token), 'ERR_JWT_ALG_NOT_ALLOWED')
      }
    }
    const jwkVerifier = new TokenVerifier({ publicKey: RSA.publicKey.export({ format: 'jwk' }) })
    const withJwkJson = hmacToken({ alg: 'HS256' }, goodClaims(), { secret: JSON.stringify(RSA.publicKey.export({ format: 'jwk' })) })
    assertInvalid(jwkVerifier.verify(withJwkJson), 'ERR_JWT_ALG_NOT_ALLOWED')
  })

  test('HS256 signed with the EC public key PEM, against an EC verifier and a JWKS -> ERR_JWT_ALG_NOT_ALLOWED', () => {
    const token = hmacToken({ alg: 'HS256' }, goodClaims(), { secret: EC_SPKI })
    assertInvalid(new TokenVerifier({ publicKey: EC_SPKI }).verify(token), 'ERR_JWT_ALG_NOT_ALLOWED')
    const jwks = { keys: [{ ...EC.publicKey.export({ format: 'jwk' }), kid: 'ec' }, { ...RSA.publicKey.export({ format: 'jwk' }), kid: 'rsa' }] }
    assertInvalid(new TokenVerifier({ jwks }).verify(token), 'ERR_JWT_ALG_NOT_ALLOWED')
    const withKid = hmacToken({ alg: 'HS256', kid: 'rsa' }, goodClaims(), { secret: RSA_SPKI })
    assertInvalid(new TokenVerifier({ jwks }).verify(withKid), 'ERR_JWT_ALG_NOT_ALLOWED')
  })

  test('alg outside the allow-list or the key -> ERR_JWT_ALG_NOT_ALLOWED', () => {
    const only256 = new TokenVerifier({ secret: SECRET, algorithms: ['HS256'] })
    assertInvalid(only256.verify(hmacToken({ alg: 'HS512' }, goodClaims())), 'ERR_JWT_ALG_NOT_ALLOWED')
    assertInvalid(only256.verify(hmacToken({ alg: 'HS384' }, goodClaims())), 'ERR_JWT_ALG_NOT_ALLOWED')
    // Asymmetric algorithm names against a secret verifier.
    for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) {
      assertInvalid(hs.verify(hmacToken({ alg }, goodClaims())), 'ERR_JWT_ALG_NOT_ALLOWED')
    }
    // Names that are not algorithms ferroauth knows, or are near-misses.
    for (const alg of ['hs256', 'HS256 ', ' HS256', 'HS257', 'ES256K', 'Ed25519', 'RSA-OAEP', 'dir', '']) {
      assertInvalid(hs.verify(hmacToken({ alg }, goodClaims())), 'ERR_JWT_ALG_NOT_ALLOWED')
    }
  })

  test('alg missing or not a string -> ERR_JWT_MALFORMED', () => {
    for (const header of [{}, { typ: 'JWT' }, { alg: 256 }, { alg: null }, { alg: ['HS256'] }, { alg: { name: 'HS256' } }, { alg: true }]) {
      assertInvalid(hs.verify(hmacToken(header, goodClaims())), 'ERR_JWT_MALFORMED')
    }
  })
})

// ---- embedded keys, crit, typ ------------------------------------------------------------

describe('embedded key headers are ignored', () => {
  const attackerJwk = ATTACKER_EC.publicKey.export({ format: 'jwk' })
  const victim = new TokenVerifier({ publicKey: EC_SPKI })

  for (const [label, extra] of [
    ['jwk', { jwk: attackerJwk }],
    ['jku', { jku: 'https://attacker.example/.well-known/jwks.json', kid: 'attacker' }],
    ['x5u', { x5u: 'https://attacker.example/cert.pem' }],
    ['x5c', { x5c: [crypto.randomBytes(300).toString('base64')] }],
    ['jwk + jku + x5u + x5c', { jwk: attackerJwk, jku: 'https://attacker.example/jwks', x5u: 'https://attacker.example/c', x5c: ['AAAA'] }],
  ]) {
    test(`ES256 signed by the attacker with ${label} in the header -> ERR_JWT_SIGNATURE_INVALID`, () => {
      const token = ecToken({ alg: 'ES256', ...extra }, goodClaims(), ATTACKER_EC.privateKey)
      assertInvalid(victim.verify(token), 'ERR_JWT_SIGNATURE_INVALID')
    })
  }

  test('HS256 signed with an attacker secret carried as an embedded oct jwk -> ERR_JWT_SIGNATURE_INVALID', () => {
    const attackerSecret = crypto.randomBytes(32)
    const token = hmacToken({ alg: 'HS256', jwk: { kty: 'oct', k: attackerSecret.toString('base64url') } }, goodClaims(), { secret: attackerSecret })
    assertInvalid(hs.verify(token), 'ERR_JWT_SIGNATURE_INVALID')
  })

  test('against a JWKS: an embedded jwk with a known kid does not replace the JWKS key', () => {
    const jwks = { keys: [{ ...EC.publicKey.export({ format: 'jwk' }), kid: 'ec-1' }] }
    const verifier = new TokenVerifier({ jwks })
    const token = ecToken({ alg: 'ES256', kid: 'ec-1', jwk: { ...attackerJwk, kid: 'ec-1' } }, goodClaims(), ATTACKER_EC.privateKey)
    assertInvalid(verifier.verify(token), 'ERR_JWT_SIGNATURE_INVALID')
    const unknownKid = ecToken({ alg: 'ES256', kid: 'attacker', jwk: { ...attackerJwk, kid: 'attacker' } }, goodClaims(), ATTACKER_EC.privateKey)
    assertInvalid(verifier.verify(unknownKid), 'ERR_JWT_KEY_NOT_FOUND')
  })

  test('control: the same headers on a token signed with the right key verify (they are ignored, not refused)', () => {
    const token = ecToken({ alg: 'ES256', jwk: attackerJwk, jku: 'https://attacker.example/jwks', x5u: 'https://x' }, goodClaims())
    assertValid(victim.verify(token))
  })
})

describe('crit and typ', () => {
  for (const crit of [['exp'], ['b64'], ['http://example.com/ext'], [], 'exp']) {
    test(`crit ${JSON.stringify(crit)} -> ERR_JWT_CRIT_UNSUPPORTED`, () => {
      const token = hmacToken({ alg: 'HS256', crit, b64: true, 'http://example.com/ext': 1 }, goodClaims())
      assertInvalid(hs.verify(token), 'ERR_JWT_CRIT_UNSUPPORTED')
    })
  }

  for (const typ of ['JOSE', 'JWS', 'secevent+jwt', 'dpop+jwt', 'logout+jwt', 'application/json', 'jwt+at', 'JWT ', 'at+jwt;x', 'text/jwt', '']) {
    test(`typ ${JSON.stringify(typ)} -> ERR_JWT_TYPE_INVALID`, () => {
      assertInvalid(hs.verify(hmacToken({ alg: 'HS256', typ }, goodClaims())), 'ERR_JWT_TYPE_INVALID')
    })
  }

  test('typ that is not a string (42, true, ["JWT"], {}) is refused', () => {
    for (const typ of [42, true, ['JWT'], { t: 'JWT' }]) {
      assert.equal(hs.verify(hmacToken({ alg: 'HS256', typ }, goodClaims())).valid, false, JSON.stringify(typ))
    }
  })

  // The spec: "header typ present and not 'JWT' / 'at+jwt'" -> TYPE_INVALID; a non-string typ
  // is not among the MALFORMED conditions (which name only a non-string alg).
  test('typ that is not a string -> ERR_JWT_TYPE_INVALID', () => {
    for (const typ of [42, true, ['JWT'], { t: 'JWT' }]) {
      assertInvalid(hs.verify(hmacToken({ alg: 'HS256', typ }, goodClaims())), 'ERR_JWT_TYPE_INVALID')
    }
  })

  test('typ JWT / at+jwt in any case, with or without application/, or absent, is accepted', () => {
    for (const typ of ['JWT', 'jwt', 'Jwt', 'at+jwt', 'AT+JWT', 'At+Jwt', 'application/jwt', 'application/at+jwt', 'APPLICATION/AT+JWT', 'Application/JWT']) {
      assertValid(hs.verify(hmacToken({ alg: 'HS256', typ }, goodClaims())))
    }
    assertValid(hs.verify(hmacToken({ alg: 'HS256' }, goodClaims())))
  })
})

// ---- structure ---------------------------------------------------------------------------

describe('tampering and structure', () => {
  const token = hmacToken(HEADER, goodClaims())
  const [h, p, s] = token.split('.')

  test('tampered payload, header or signature -> ERR_JWT_SIGNATURE_INVALID', () => {
    const payload = JSON.parse(Buffer.from(p, 'base64url'))
    assertInvalid(hs.verify(`${h}.${b64({ ...payload, sub: 'admin' })}.${s}`), 'ERR_JWT_SIGNATURE_INVALID')
    assertInvalid(hs.verify(`${h}.${b64({ ...payload, exp: payload.exp + 1 })}.${s}`), 'ERR_JWT_SIGNATURE_INVALID')
    assertInvalid(hs.verify(`${b64({ ...HEADER, kid: 'x' })}.${p}.${s}`), 'ERR_JWT_SIGNATURE_INVALID')
    assertInvalid(hs.verify(`${b64({ alg: 'HS384', typ: 'JWT' })}.${p}.${s}`), 'ERR_JWT_SIGNATURE_INVALID')
    const sig = Buffer.from(s, 'base64url')
    for (let bit = 0; bit < sig.length * 8; bit += 13) {
      const flipped = Buffer.from(sig)
      flipped[bit >> 3] ^= 1 << (bit & 7)
      assertInvalid(hs.verify(`${h}.${p}.${flipped.toString('base64url')}`), 'ERR_JWT_SIGNATURE_INVALID')
    }
    assertInvalid(hs.verify(`${h}.${p}.${sig.subarray(0, 31).toString('base64url')}`), 'ERR_JWT_SIGNATURE_INVALID')
    assertInvalid(hs.verify(`${h}.${p}.${Buffer.concat([sig, Buffer.from([0])]).toString('base64url')}`), 'ERR_JWT_SIGNATURE_INVALID')
    assertInvalid(hs.verify(`${h}.${p}.${Buffer.alloc(32).toString('base64url')}`), 'ERR_JWT_SIGNATURE_INVALID')
    const other = hmacToken(HEADER, goodClaims({ sub: 'other' }))
    assertInvalid(hs.verify(`${h}.${p}.${other.split('.')[2]}`), 'ERR_JWT_SIGNATURE_INVALID')
  })

  // "" is valid base64url (zero bytes), so by the spec's list this is a wrong signature, as in jose.
  test('an empty signature segment -> ERR_JWT_SIGNATURE_INVALID', () => {
    assertInvalid(hs.verify(`${h}.${p}.`), 'ERR_JWT_SIGNATURE_INVALID')
  })

  test('every prefix of a valid token is refused with MALFORMED or SIGNATURE_INVALID; prefixes with fewer than 3 segments are MALFORMED', () => {
    for (let length = 0; length < token.length; length++) {
      const prefix = token.slice(0, length)
      const result = verifySafely(hs, prefix)
      assert.equal(result.valid, false, `prefix of length ${length} verified`)
      if (prefix.split('.').length < 3) assert.equal(result.error.code, 'ERR_JWT_MALFORMED', `length ${length}: ${result.error.code}`)
      else assert.ok(['ERR_JWT_MALFORMED', 'ERR_JWT_SIGNATURE_INVALID'].includes(result.error.code), `length ${length}: ${result.error.code}`)
    }
  })

  test('1, 2, 4 and 5 segments -> ERR_JWT_MALFORMED', () => {
    for (const bad of [h, `${h}.${p}`, `${token}.${s}`, `${token}.`, `${token}.${s}.${s}`, `${h}.${p}.${p}.${s}`, '.', '..', '...', '....']) {
      assertInvalid(hs.verify(bad), 'ERR_JWT_MALFORMED')
    }
  })

  test('empty header or payload segment -> ERR_JWT_MALFORMED', () => {
    assertInvalid(hs.verify(hmacRaw('', p)), 'ERR_JWT_MALFORMED')
    assertInvalid(hs.verify(hmacRaw(h, '')), 'ERR_JWT_MALFORMED')
    assertInvalid(hs.verify(hmacRaw('', '')), 'ERR_JWT_MALFORMED')
    assertInvalid(hs.verify(''), 'ERR_JWT_MALFORMED')
  })

  test('whitespace around or inside the token -> refused', () => {
    for (const bad of [` ${token}`, `${token} `, `${token}\n`, `Bearer ${token}`, `${h}.${p} .${s}`]) {
      const result = hs.verify(bad)
      assert.equal(result.valid, false, JSON.stringify(bad))
      assert.ok(['ERR_JWT_MALFORMED', 'ERR_JWT_SIGNATURE_INVALID'].includes(result.error.code), result.error.code)
    }
  })
})

describe('bad base64url (each signed correctly over its exact text)', () => {
  /** Adds a filler claim until `predicate(base64url of payload)` holds. */
  function payloadSegmentWhere(predicate) {
    for (let i = 0; i < 500; i++) {
      const segment = b64(goodClaims({ f: '\u00ff\u00fe~?>'.repeat(1 + (i % 5)) + 'x'.repeat(i) }))
      if (predicate(segment)) return segment
    }
    throw new Error('no payload found')
  }
  const h = b64(HEADER)

  test("'=' padding in the header or payload -> ERR_JWT_MALFORMED", () => {
    // Correct base64 padding (what standard base64 would write).
    const p = payloadSegmentWhere((seg) => seg.length % 4 !== 0)
    assertInvalid(hs.verify(hmacRaw(h, p + '='.repeat(4 - (p.length % 4)))), 'ERR_JWT_MALFORMED')
    // Padding on segments that need none (20 and 40 characters).
    assertInvalid(hs.verify(hmacRaw(`${b64({ alg: 'HS256' })}=`, b64(goodClaims()))), 'ERR_JWT_MALFORMED')
    assertInvalid(hs.verify(hmacRaw(`${b64({ alg: 'HS256', typ: 'at+jwt' })}==`, b64(goodClaims()))), 'ERR_JWT_MALFORMED')
  })

  test("'=' padding on the signature -> ERR_JWT_MALFORMED", () => {
    const token = hmacToken(HEADER, goodClaims()) // 32-byte signature: 43 chars, padding would be one '='
    assertInvalid(hs.verify(`${token}=`), 'ERR_JWT_MALFORMED')
  })

  test("standard-alphabet '+' and '/' instead of '-' and '_' -> ERR_JWT_MALFORMED", () => {
    const withDash = payloadSegmentWhere((seg) => seg.includes('-'))
    assertInvalid(hs.verify(hmacRaw(h, withDash.replaceAll('-', '+'))), 'ERR_JWT_MALFORMED')
    const withUnderscore = payloadSegmentWhere((seg) => seg.includes('_'))
    assertInvalid(hs.verify(hmacRaw(h, withUnderscore.replaceAll('_', '/'))), 'ERR_JWT_MALFORMED')
    // In the signature: find a token whose signature has '-' or '_'.
    for (let i = 0; ; i++) {
      const token = hmacToken(HEADER, goodClaims({ i }))
      const sig = token.split('.')[2]
      if (!/[-_]/.test(sig)) continue
      const swapped = `${token.split('.').slice(0, 2).join('.')}.${sig.replaceAll('-', '+').replaceAll('_', '/')}`
      assertInvalid(hs.verify(swapped), 'ERR_JWT_MALFORMED')
      break
    }
  })

  test('characters outside base64url -> ERR_JWT_MALFORMED', () => {
    const p = b64(goodClaims())
    for (const ch of ['!', '*', ' ', '\n', '\t', '%', '$', '~', '\u00e9', '\u0000', '\ud83d\ude00', '\ud800']) {
      const middle = p.length >> 1
      const bad = p.slice(0, middle) + ch + p.slice(middle)
      assertInvalid(hs.verify(hmacRaw(h, bad)), 'ERR_JWT_MALFORMED')
      assertInvalid(hs.verify(hmacRaw(bad, p)), 'ERR_JWT_MALFORMED')
      const token = hmacRaw(h, p)
      assertInvalid(hs.verify(token.slice(0, -5) + ch + token.slice(-5)), 'ERR_JWT_MALFORMED')
    }
  })

  test('a segment whose length is 1 mod 4 (no such base64) -> ERR_JWT_MALFORMED', () => {
    const p = payloadSegmentWhere((seg) => seg.length % 4 === 0)
    assertInvalid(hs.verify(hmacRaw(h, `${p}A`)), 'ERR_JWT_MALFORMED')
  })
})

describe('header and payload that are not JSON objects', () => {
  const NOT_JSON = ['not json', '{"alg":"HS256"', '{"alg":"HS256"}garbage', '{"alg":"HS256",}', "{'alg':'HS256'}", '{"alg":"HS256" "x":1}', '{alg:"HS256"}', '\ufeff{"alg":"HS256"}']
  const p = b64(goodClaims())

  test('header not JSON -> ERR_JWT_MALFORMED', () => {
    for (const text of NOT_JSON) assertInvalid(hs.verify(hmacRaw(b64(text), p)), `ERR_JWT_MALFORMED`)
    assertInvalid(hs.verify(hmacRaw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64url'), p)), 'ERR_JWT_MALFORMED')
  })

  test('header JSON but not an object -> ERR_JWT_MALFORMED', () => {
    for (const text of ['["alg","HS256"]', '"HS256"', 'null', '42', 'true', '[]', '[{"alg":"HS256"}]']) {
      assertInvalid(hs.verify(hmacRaw(b64(text), p)), 'ERR_JWT_MALFORMED')
    }
  })

  test('payload not JSON (validly signed) -> ERR_JWT_MALFORMED', () => {
    const h = b64(HEADER)
    const claims = JSON.stringify(goodClaims())
    for (const text of ['not json', claims.slice(0, -1), `${claims}x`, claims.replace('}', ',}'), claims.replaceAll('"', "'")]) {
      assertInvalid(hs.verify(hmacRaw(h, b64(text))), 'ERR_JWT_MALFORMED')
    }
    const invalidUtf8 = Buffer.concat([Buffer.from(claims.slice(0, -1) + ',"x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])
    assertInvalid(hs.verify(hmacRaw(h, invalidUtf8.toString('base64url'))), 'ERR_JWT_MALFORMED')
  })

  test('payload JSON but not an object (array, number, string, null, boolean) -> ERR_JWT_MALFORMED', () => {
    const h = b64(HEADER)
    for (const text of ['[]', `[${JSON.stringify(goodClaims())}]`, '42', '9999999999', '"sub"', 'null', 'true', 'false']) {
      assertInvalid(hs.verify(hmacRaw(h, b64(text))), 'ERR_JWT_MALFORMED')
    }
  })
})

// ---- size and depth ----------------------------------------------------------------------

describe('size and nesting limits', () => {
  test('a token longer than 16 KiB -> ERR_JWT_TOO_LARGE, even if validly signed', () => {
    const token = hmacToken(HEADER, goodClaims({ filler: 'x'.repeat(20000) }))
    assert.ok(token.length > 16384)
    assertInvalid(hs.verify(token), 'ERR_JWT_TOO_LARGE')
  })

  test('the default limit is 16384 characters exactly', () => {
    assertInvalid(hs.verify('a'.repeat(16384)), 'ERR_JWT_MALFORMED')
    assertInvalid(hs.verify('a'.repeat(16385)), 'ERR_JWT_TOO_LARGE')
    const nearLimit = hmacToken(HEADER, goodClaims({ filler: 'x'.repeat(11500) }))
    assert.ok(nearLimit.length > 15000 && nearLimit.length <= 16384, String(nearLimit.length))
    assertValid(hs.verify(nearLimit))
  })

  test('huge garbage (4 MiB, with and without dots) -> ERR_JWT_TOO_LARGE', () => {
    assertInvalid(hs.verify('A'.repeat(4 << 20)), 'ERR_JWT_TOO_LARGE')
    assertInvalid(hs.verify(`${'A'.repeat(2 << 20)}.${'B'.repeat(2 << 20)}.C`), 'ERR_JWT_TOO_LARGE')
    assertInvalid(hs.verify('.'.repeat(1 << 20)), 'ERR_JWT_TOO_LARGE')
  })

  test('maxTokenLength: a token of exactly the limit passes, one character over is ERR_JWT_TOO_LARGE', () => {
    const token = hmacToken(HEADER, goodClaims())
    assertValid(new TokenVerifier({ secret: SECRET, maxTokenLength: token.length }).verify(token))
    assertInvalid(new TokenVerifier({ secret: SECRET, maxTokenLength: token.length - 1 }).verify(token), 'ERR_JWT_TOO_LARGE')
    const big = hmacToken(HEADER, goodClaims({ filler: 'y'.repeat(30000) }))
    assertValid(new TokenVerifier({ secret: SECRET, maxTokenLength: 100000 }).verify(big))
  })

  test("deeply nested JSON (10000 '[') in the payload or header -> ERR_JWT_MALFORMED, no crash", () => {
    const h = b64(HEADER)
    assertInvalid(hs.verify(hmacRaw(h, b64('['.repeat(10000)))), 'ERR_JWT_MALFORMED')
    assertInvalid(hs.verify(hmacRaw(b64('['.repeat(10000)), b64(goodClaims()))), 'ERR_JWT_MALFORMED')
    assertInvalid(hs.verify(hmacRaw(b64('{"a":'.repeat(2000)), b64(goodClaims()))), 'ERR_JWT_MALFORMED')
    // 200 000 levels, with a verifier that lets the length through.
    const roomy = new TokenVerifier({ secret: SECRET, maxTokenLength: 1 << 20 })
    assertInvalid(roomy.verify(hmacRaw(h, b64('['.repeat(200000)))), 'ERR_JWT_MALFORMED')
    assertInvalid(roomy.verify(hmacRaw(h, b64('{"a":'.repeat(100000)))), 'ERR_JWT_MALFORMED')
  })

  const deepToken = () => {
    const base = JSON.stringify(goodClaims()).slice(0, -1)
    const deep = `${base},"x":${'['.repeat(6000)}${']'.repeat(6000)}}`
    assert.doesNotThrow(() => JSON.parse(deep))
    const token = hmacRaw(b64(HEADER), b64(deep))
    assert.ok(token.length <= 16384)
    return token
  }

  test('a validly signed token with 6000-deep claims (under 16 KiB) never makes verify throw, cache or not', () => {
    const token = deepToken()
    for (const verifier of [hs, new TokenVerifier({ secret: SECRET, cache: true }), new TokenVerifier({ secret: SECRET, cache: { max: 10 } })]) {
      const result = verifySafely(verifier, token)
      assert.equal(typeof result.valid, 'boolean')
    }
  })

  test('well-formed but absurdly deep claims (6000 levels) -> ERR_JWT_MALFORMED ("JSON nested too deep"); moderate depth (20) is fine', () => {
    const h = b64(HEADER)
    const base = JSON.stringify(goodClaims()).slice(0, -1)
    assertInvalid(verifySafely(hs, deepToken()), 'ERR_JWT_MALFORMED')
    const moderate = `${base},"x":${'{"a":['.repeat(10)}1${']}'.repeat(10)}}`
    const payload = assertValid(hs.verify(hmacRaw(h, b64(moderate))))
    assert.deepEqual(payload.x, JSON.parse(moderate).x)
  })
})

// ---- claims ------------------------------------------------------------------------------

describe('time claims', () => {
  const token = (claims) => hmacToken(HEADER, claims)

  test('exp as a string "9999999999" -> ERR_JWT_CLAIM_INVALID (claim exp)', () => {
    assertInvalid(hs.verify(token({ sub: 'u', exp: '9999999999' })), 'ERR_JWT_CLAIM_INVALID', 'exp')
  })

  test('exp/nbf/iat of the wrong type -> ERR_JWT_CLAIM_INVALID with the claim', () => {
    for (const value of ['0', '9999999999', true, null, {}, [now() + 600]]) {
      assertInvalid(hs.verify(token({ exp: value })), 'ERR_JWT_CLAIM_INVALID', 'exp')
      assertInvalid(hs.verify(token({ exp: now() + 600, nbf: value })), 'ERR_JWT_CLAIM_INVALID', 'nbf')
      assertInvalid(hs.verify(token({ exp: now() + 600, iat: value })), 'ERR_JWT_CLAIM_INVALID', 'iat')
    }
  })

  test('exp in the past -> ERR_JWT_EXPIRED; exp == now -> ERR_JWT_EXPIRED', () => {
    assertInvalid(hs.verify(token({ exp: now() - 3600 })), 'ERR_JWT_EXPIRED')
    assertInvalid(hs.verify(token({ exp: 1 })), 'ERR_JWT_EXPIRED')
    assertInvalid(hs.verify(token({ exp: 0 })), 'ERR_JWT_EXPIRED')
    assertInvalid(hs.verify(token({ exp: -1e12 })), 'ERR_JWT_EXPIRED')
    assertInvalid(hs.verify(token({ exp: now() })), 'ERR_JWT_EXPIRED')
    assertValid(hs.verify(token({ exp: now() + 5 })))
  })

  test('nbf in the future -> ERR_JWT_NOT_YET_VALID; nbf == now is valid', () => {
    assertInvalid(hs.verify(token({ exp: now() + 600, nbf: now() + 60 })), 'ERR_JWT_NOT_YET_VALID')
    assertInvalid(hs.verify(token({ exp: now() + 600, nbf: 1e12 })), 'ERR_JWT_NOT_YET_VALID')
    assertValid(hs.verify(token({ exp: now() + 600, nbf: now() })))
    assertValid(hs.verify(token({ exp: now() + 600, nbf: now() - 60 })))
  })

  test('clockTolerance at the boundary (30 s, as a number and as "30s")', () => {
    for (const clockTolerance of [30, '30s']) {
      const verifier = new TokenVerifier({ secret: SECRET, clockTolerance })
      // expired when now >= exp + tolerance
      assertInvalid(verifier.verify(token({ exp: now() - 30 })), 'ERR_JWT_EXPIRED')
      assertValid(verifier.verify(token({ exp: now() - 28 })))
      // not yet valid when nbf > now + tolerance
      assertValid(verifier.verify(token({ exp: now() + 600, nbf: now() + 30 })))
      assertInvalid(verifier.verify(token({ exp: now() + 600, nbf: now() + 32 })), 'ERR_JWT_NOT_YET_VALID')
    }
    const minute = new TokenVerifier({ secret: SECRET, clockTolerance: '1m' })
    assertValid(minute.verify(token({ exp: now() - 58 })))
    assertInvalid(minute.verify(token({ exp: now() - 60 })), 'ERR_JWT_EXPIRED')
  })

  test('exp missing -> ERR_JWT_CLAIM_MISSING (claim exp) unless requireExpiration is false', () => {
    assertInvalid(hs.verify(token({ sub: 'u' })), 'ERR_JWT_CLAIM_MISSING', 'exp')
    assertInvalid(hs.verify(token({})), 'ERR_JWT_CLAIM_MISSING', 'exp')
    const lenient = new TokenVerifier({ secret: SECRET, requireExpiration: false })
    assert.equal(assertValid(lenient.verify(token({ sub: 'u' }))).sub, 'u')
    // An exp that is there is still checked.
    assertInvalid(lenient.verify(token({ exp: now() - 10 })), 'ERR_JWT_EXPIRED')
    assertInvalid(lenient.verify(token({ exp: 'soon' })), 'ERR_JWT_CLAIM_INVALID', 'exp')
  })

  test('maxTokenAge: too old -> ERR_JWT_EXPIRED, iat missing -> CLAIM_MISSING iat, iat in the future -> CLAIM_INVALID iat', () => {
    for (const maxTokenAge of [60, '1m']) {
      const verifier = new TokenVerifier({ secret: SECRET, maxTokenAge })
      assertValid(verifier.verify(token({ exp: now() + 600, iat: now() - 30 })))
      assertInvalid(verifier.verify(token({ exp: now() + 600, iat: now() - 100 })), 'ERR_JWT_EXPIRED')
      assertInvalid(verifier.verify(token({ exp: now() + 600 })), 'ERR_JWT_CLAIM_MISSING', 'iat')
      assertInvalid(verifier.verify(token({ exp: now() + 600, iat: now() + 600 })), 'ERR_JWT_CLAIM_INVALID', 'iat')
      assertInvalid(verifier.verify(token({ exp: now() + 600, iat: String(now()) })), 'ERR_JWT_CLAIM_INVALID', 'iat')
    }
    const tolerant = new TokenVerifier({ secret: SECRET, maxTokenAge: 60, clockTolerance: 15 })
    // expired when iat + maxTokenAge < now - tolerance
    assertValid(tolerant.verify(token({ exp: now() + 600, iat: now() - 70 })))
    assertInvalid(tolerant.verify(token({ exp: now() + 600, iat: now() - 80 })), 'ERR_JWT_EXPIRED')
  })
})

describe('issuer, audience and required claims', () => {
  const token = (claims) => hmacToken(HEADER, goodClaims(claims))
  const verifier = new TokenVerifier({ secret: SECRET, issuer: 'https://issuer.example', audience: 'api' })

  test('iss and aud matching -> valid', () => {
    assertValid(verifier.verify(token({ iss: 'https://issuer.example', aud: 'api' })))
    assertValid(verifier.verify(token({ iss: 'https://issuer.example', aud: ['web', 'api'] })))
  })

  test('iss mismatch -> CLAIM_INVALID iss; missing -> CLAIM_MISSING iss; wrong type -> CLAIM_INVALID iss', () => {
    for (const iss of ['https://evil.example', 'https://issuer.example/', 'HTTPS://ISSUER.EXAMPLE', '']) {
      assertInvalid(verifier.verify(token({ iss, aud: 'api' })), 'ERR_JWT_CLAIM_INVALID', 'iss')
    }
    assertInvalid(verifier.verify(token({ aud: 'api' })), 'ERR_JWT_CLAIM_MISSING', 'iss')
    for (const iss of [42, ['https://issuer.example'], { iss: 'https://issuer.example' }, true]) {
      assertInvalid(verifier.verify(token({ iss, aud: 'api' })), 'ERR_JWT_CLAIM_INVALID', 'iss')
    }
  })

  test('aud mismatch -> CLAIM_INVALID aud; missing -> CLAIM_MISSING aud; wrong type -> CLAIM_INVALID aud', () => {
    for (const aud of ['web', 'API', 'api ', ['web', 'mobile'], []]) {
      assertInvalid(verifier.verify(token({ iss: 'https://issuer.example', aud })), 'ERR_JWT_CLAIM_INVALID', 'aud')
    }
    assertInvalid(verifier.verify(token({ iss: 'https://issuer.example' })), 'ERR_JWT_CLAIM_MISSING', 'aud')
    for (const aud of [42, { aud: 'api' }, true]) {
      assertInvalid(verifier.verify(token({ iss: 'https://issuer.example', aud })), 'ERR_JWT_CLAIM_INVALID', 'aud')
    }
  })

  test('issuer and audience lists: one of the issuers, at least one audience in common', () => {
    const lists = new TokenVerifier({ secret: SECRET, issuer: ['https://a.example', 'https://b.example'], audience: ['x', 'y'] })
    assertValid(lists.verify(token({ iss: 'https://b.example', aud: 'y' })))
    assertValid(lists.verify(token({ iss: 'https://a.example', aud: ['z', 'x'] })))
    assertInvalid(lists.verify(token({ iss: 'https://c.example', aud: 'x' })), 'ERR_JWT_CLAIM_INVALID', 'iss')
    assertInvalid(lists.verify(token({ iss: 'https://a.example', aud: ['z'] })), 'ERR_JWT_CLAIM_INVALID', 'aud')
  })

  test('without issuer/audience options, iss and aud are not required', () => {
    assertValid(hs.verify(token({})))
    assertValid(hs.verify(token({ iss: 'anyone', aud: 'anything' })))
  })

  test('requiredClaims: a missing one -> CLAIM_MISSING naming it', () => {
    const strict = new TokenVerifier({ secret: SECRET, requiredClaims: ['sub', 'tenant'] })
    assertValid(strict.verify(token({ tenant: 't1' })))
    assertInvalid(strict.verify(token({})), 'ERR_JWT_CLAIM_MISSING', 'tenant')
    assertInvalid(strict.verify(hmacToken(HEADER, { exp: now() + 60, tenant: 't1' })), 'ERR_JWT_CLAIM_MISSING', 'sub')
  })
})

describe('check order', () => {
  test('signature before claims: an expired token with a bad signature -> ERR_JWT_SIGNATURE_INVALID', () => {
    const expired = hmacToken(HEADER, { exp: now() - 100, iss: 'wrong' }, { secret: 'another-secret-another-secret-1234' })
    assertInvalid(hs.verify(expired), 'ERR_JWT_SIGNATURE_INVALID')
    const badExp = hmacToken(HEADER, { exp: '9999999999' }, { secret: 'another-secret-another-secret-1234' })
    assertInvalid(hs.verify(badExp), 'ERR_JWT_SIGNATURE_INVALID')
    const notYet = hmacToken(HEADER, { exp: now() + 100, nbf: now() + 50 }, { secret: 'another-secret-another-secret-1234' })
    assertInvalid(hs.verify(notYet), 'ERR_JWT_SIGNATURE_INVALID')
  })

  test('alg before typ, typ before crit, crit before signature', () => {
    assertInvalid(hs.verify(hmacToken({ alg: 'none', typ: 'JOSE', crit: ['x'] }, goodClaims())), 'ERR_JWT_ALG_NOT_ALLOWED')
    assertInvalid(hs.verify(hmacToken({ alg: 'HS256', typ: 'JOSE', crit: ['x'] }, goodClaims())), 'ERR_JWT_TYPE_INVALID')
    assertInvalid(hs.verify(hmacToken({ alg: 'HS256', crit: ['x'] }, goodClaims(), { secret: 'wrong-secret-wrong-secret-wrong-1' })), 'ERR_JWT_CRIT_UNSUPPORTED')
  })

  test('TOO_LARGE before anything else', () => {
    assertInvalid(hs.verify(`${b64({ alg: 'none' })}.${'!'.repeat(20000)}`), 'ERR_JWT_TOO_LARGE')
  })
})

// ---- inputs that are not strings, and fuzzing ---------------------------------------------

describe('inputs that are not strings', () => {
  const valid = hmacToken(HEADER, goodClaims())
  const inputs = [
    undefined, null, 42, 0, NaN, -1, true, false, {}, [], [valid], Buffer.from(valid), new Uint8Array(8),
    new String(valid), Symbol('token'), Symbol.iterator, () => valid, 10n, { toString: () => valid },
    Object.create(null), new Date(), /re/, new Map(), Promise.resolve(valid),
  ]

  test('verify(x) -> valid:false ERR_JWT_MALFORMED, never a throw', () => {
    for (const input of inputs) {
      const result = verifySafely(hs, input)
      assert.equal(result.valid, false, describeValue(input))
      assert.equal(result.error.code, 'ERR_JWT_MALFORMED', describeValue(input))
    }
    assertInvalid(hs.verify(), 'ERR_JWT_MALFORMED')
  })

  test('verifyAccessToken(x, options) -> valid:false ERR_JWT_MALFORMED, never a throw', () => {
    const options = { secret: SECRET }
    for (const input of inputs) {
      let result
      assert.doesNotThrow(() => { result = verifyAccessToken(input, options) }, describeValue(input))
      assertInvalid(result, 'ERR_JWT_MALFORMED')
    }
  })
})

describe('random garbage (seeded)', () => {
  // mulberry32: small, seeded, reproducible.
  function rng(seed) {
    let a = seed >>> 0
    return () => {
      a = (a + 0x6d2b79f5) >>> 0
      let t = a
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
  }
  const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const FRAGMENTS = ['{', '}', '[', ']', ':', ',', '"alg"', '"HS256"', '"none"', '"typ"', '"JWT"', '"exp"', '"crit"', '1e999', '-0', 'null', 'true', '"\\u0000"', '"\\ud800"', '9999999999', ' ', '"']

  function generator(random) {
    const int = (n) => Math.floor(random() * n)
    const pick = (list) => list[int(list.length)]
    const bytes = (n) => Buffer.from(Array.from({ length: n }, () => int(256)))
    const valid = hmacToken(HEADER, goodClaims())
    return function next() {
      switch (int(6)) {
        case 0: // base64url alphabet and dots
          return Array.from({ length: int(300) }, () => (random() < 0.06 ? '.' : pick(B64URL))).join('')
        case 1: // any UTF-16 code unit, lone surrogates included
          return Array.from({ length: int(120) }, () => String.fromCharCode(int(0x10000))).join('')
        case 2: // three segments of random bytes
          return `${bytes(int(60)).toString('base64url')}.${bytes(int(200)).toString('base64url')}.${bytes(int(70)).toString('base64url')}`
        case 3: { // JSON-ish fragments, validly signed
          const text = () => Array.from({ length: int(25) }, () => pick(FRAGMENTS)).join('')
          return random() < 0.5 ? hmacRaw(b64(text()), b64(goodClaims())) : hmacRaw(b64(HEADER), b64(text()))
        }
        case 4: { // 1-3 point mutations of a valid token
          let token = valid
          for (let n = 1 + int(3); n > 0; n--) {
            const at = int(token.length + 1)
            const op = int(3)
            const ch = random() < 0.8 ? pick(B64URL + '.') : String.fromCharCode(int(0x10000))
            if (op === 0) token = token.slice(0, at) + ch + token.slice(at + 1)
            else if (op === 1) token = token.slice(0, at) + ch + token.slice(at)
            else token = token.slice(0, at) + token.slice(at + 1)
          }
          return token
        }
        default: { // segments shuffled / duplicated from valid tokens
          const parts = valid.split('.')
          return Array.from({ length: 1 + int(5) }, () => pick(parts)).join('.')
        }
      }
    }
  }

  /** The same JWS as `original`: same header and payload text, same signature bytes. */
  function sameJws(token, original) {
    const a = token.split('.')
    const b = original.split('.')
    return a.length === 3 && a[0] === b[0] && a[1] === b[1] && Buffer.from(a[2], 'base64url').equals(Buffer.from(b[2], 'base64url'))
  }

  test('5000 random inputs: always valid:false with a known code and a message, never a throw', () => {
    const random = rng(0x5eed1e55)
    const next = generator(random)
    const valid = hmacToken(HEADER, goodClaims())
    const codes = new Map()
    const verifiers = [hs, new TokenVerifier({ publicKey: EC_SPKI }), new TokenVerifier({ secret: SECRET, cache: true })]
    for (let i = 0; i < 5000; i++) {
      const input = next()
      const verifier = verifiers[i % verifiers.length]
      const result = verifySafely(verifier, input)
      if (result.valid) {
        assert.ok(verifier !== verifiers[1] && sameJws(input, valid), `iteration ${i}: ${describeValue(input)} verified`)
        continue
      }
      assert.ok(VERIFY_CODES.has(result.error.code), `iteration ${i}: unknown code ${result.error.code}`)
      assert.equal(typeof result.error.message, 'string')
      codes.set(result.error.code, (codes.get(result.error.code) ?? 0) + 1)
    }
    // The generator reaches past the parser.
    assert.ok(codes.get('ERR_JWT_MALFORMED') > 100)
    assert.ok(codes.get('ERR_JWT_SIGNATURE_INVALID') > 100)
  })
})
