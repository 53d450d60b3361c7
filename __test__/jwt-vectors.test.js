'use strict'

// Published test vectors: RFC 7515 appendix A.1 (HS256) and A.3 (ES256), RFC 8037
// appendix A (Ed25519). Each vector is first checked with node:crypto, so a typo in a
// constant shows up as a failure of the vector itself, not of ferroauth.

const { test, describe } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { generateKeyPair } = require('./helpers/keys.js')

const { TokenSigner, TokenVerifier } = require('..')

const now = () => Math.floor(Date.now() / 1000)

// RFC 7515 A.1 and A.3 share this payload:
// {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}
const RFC7515_PAYLOAD_B64 =
  'eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ'
const RFC7515_CLAIMS = { iss: 'joe', exp: 1300819380, 'http://example.com/is_root': true }
const RFC7515_EXP = 1300819380

// A.1: header {"typ":"JWT",\r\n "alg":"HS256"}
const A1_TOKEN = [
  'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9',
  RFC7515_PAYLOAD_B64,
  'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
].join('.')
const A1_JWK = {
  kty: 'oct',
  k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow',
}
const A1_SECRET = Buffer.from(A1_JWK.k, 'base64url')

// A.3: header {"alg":"ES256"}
const A3_TOKEN = [
  'eyJhbGciOiJFUzI1NiJ9',
  RFC7515_PAYLOAD_B64,
  'DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q',
].join('.')
const A3_PUBLIC_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
}
const A3_PRIVATE_JWK = { ...A3_PUBLIC_JWK, d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI' }

// RFC 8037 A.1/A.2 keys, A.4 JWS over "Example of Ed25519 signing".
const ED_PUBLIC_JWK = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }
const ED_PRIVATE_JWK = { ...ED_PUBLIC_JWK, d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A' }
const A4_TOKEN = [
  'eyJhbGciOiJFZERTQSJ9',
  'RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc',
  'hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg',
].join('.')

// Seconds from the vectors' exp (2011) to now, plus a day: a tolerance that makes them current.
const toleranceForVectors = () => now() - RFC7515_EXP + 86400

/** Flips one bit of the decoded signature and re-encodes it (canonically). */
function flipSignatureBit(token, bit = 0) {
  const [h, p, s] = token.split('.')
  const sig = Buffer.from(s, 'base64url')
  sig[bit >> 3] ^= 1 << (bit & 7)
  return `${h}.${p}.${sig.toString('base64url')}`
}

function flipPayloadBit(token) {
  const [h, p, s] = token.split('.')
  const payload = Buffer.from(p, 'base64url')
  payload[payload.length - 3] ^= 1 // ..."is_root":true} -> ..."is_root":ttue}: a change in the signed bytes
  return `${h}.${payload.toString('base64url')}.${s}`
}

function assertInvalid(result, code) {
  assert.equal(result.valid, false, `expected ${code}, got a valid result`)
  assert.equal(result.error.code, code, result.error.message)
  assert.equal(typeof result.error.message, 'string')
  assert.ok(result.error.message.length > 0)
}

describe('RFC 7515 appendix A.1 (HS256)', () => {
  test('the vector itself is consistent (node:crypto HMAC)', () => {
    const [h, p, s] = A1_TOKEN.split('.')
    assert.equal(crypto.createHmac('sha256', A1_SECRET).update(`${h}.${p}`).digest('base64url'), s)
  })

  test('verifies with the secret as a Buffer and a large clockTolerance', () => {
    const verifier = new TokenVerifier({ secret: A1_SECRET, clockTolerance: toleranceForVectors() })
    const result = verifier.verify(A1_TOKEN)
    assert.equal(result.valid, true, result.error && result.error.message)
    assert.deepEqual(result.payload, RFC7515_CLAIMS)
  })

  test('verifies with the RFC JWK in a JWKS', () => {
    const verifier = new TokenVerifier({ jwks: { keys: [A1_JWK] }, clockTolerance: toleranceForVectors() })
    const result = verifier.verify(A1_TOKEN)
    assert.equal(result.valid, true, result.error && result.error.message)
    assert.deepEqual(result.payload, RFC7515_CLAIMS)
  })

  test('with clockTolerance 0 the (2011) token is expired', () => {
    const verifier = new TokenVerifier({ secret: A1_SECRET })
    assertInvalid(verifier.verify(A1_TOKEN), 'ERR_JWT_EXPIRED')
  })

  test('a one-bit change of the signature gives ERR_JWT_SIGNATURE_INVALID', () => {
    const verifier = new TokenVerifier({ secret: A1_SECRET, clockTolerance: toleranceForVectors() })
    for (const bit of [0, 7, 100, 255]) {
      assertInvalid(verifier.verify(flipSignatureBit(A1_TOKEN, bit)), 'ERR_JWT_SIGNATURE_INVALID')
    }
  })

  test('a one-bit change of the payload gives ERR_JWT_SIGNATURE_INVALID', () => {
    const verifier = new TokenVerifier({ secret: A1_SECRET, clockTolerance: toleranceForVectors() })
    assertInvalid(verifier.verify(flipPayloadBit(A1_TOKEN)), 'ERR_JWT_SIGNATURE_INVALID')
  })

  test('a different secret gives ERR_JWT_SIGNATURE_INVALID', () => {
    const other = Buffer.from(A1_SECRET)
    other[0] ^= 1
    const verifier = new TokenVerifier({ secret: other, clockTolerance: toleranceForVectors() })
    assertInvalid(verifier.verify(A1_TOKEN), 'ERR_JWT_SIGNATURE_INVALID')
  })

  test('ferroauth HS256 with the RFC key agrees with node:crypto', () => {
    const signer = new TokenSigner({ secret: A1_SECRET })
    const token = signer.sign({ sub: 'rfc7515' })
    const [h, p, s] = token.split('.')
    assert.equal(crypto.createHmac('sha256', A1_SECRET).update(`${h}.${p}`).digest('base64url'), s)
  })
})

describe('RFC 7515 appendix A.3 (ES256)', () => {
  test('the vector itself is consistent (node:crypto ECDSA)', () => {
    const [h, p, s] = A3_TOKEN.split('.')
    const key = crypto.createPublicKey({ key: A3_PUBLIC_JWK, format: 'jwk' })
    const ok = crypto.verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))
    assert.equal(ok, true)
  })

  test('verifies with the kid-less public JWK as publicKey', () => {
    const verifier = new TokenVerifier({ publicKey: A3_PUBLIC_JWK, clockTolerance: toleranceForVectors() })
    const result = verifier.verify(A3_TOKEN)
    assert.equal(result.valid, true, result.error && result.error.message)
    assert.deepEqual(result.payload, RFC7515_CLAIMS)
  })

  test('verifies with the public key as SPKI PEM, and in a JWKS without kid', () => {
    const pem = crypto.createPublicKey({ key: A3_PUBLIC_JWK, format: 'jwk' }).export({ type: 'spki', format: 'pem' })
    const tolerance = toleranceForVectors()
    for (const options of [{ publicKey: pem }, { jwks: { keys: [A3_PUBLIC_JWK] } }]) {
      const result = new TokenVerifier({ ...options, clockTolerance: tolerance }).verify(A3_TOKEN)
      assert.equal(result.valid, true, result.error && result.error.message)
      assert.deepEqual(result.payload, RFC7515_CLAIMS)
    }
  })

  test('with clockTolerance 0 the token is expired', () => {
    assertInvalid(new TokenVerifier({ publicKey: A3_PUBLIC_JWK }).verify(A3_TOKEN), 'ERR_JWT_EXPIRED')
  })

  test('a one-bit change of r or s gives ERR_JWT_SIGNATURE_INVALID', () => {
    const verifier = new TokenVerifier({ publicKey: A3_PUBLIC_JWK, clockTolerance: toleranceForVectors() })
    for (const bit of [0, 200, 300, 511]) {
      assertInvalid(verifier.verify(flipSignatureBit(A3_TOKEN, bit)), 'ERR_JWT_SIGNATURE_INVALID')
    }
    assertInvalid(verifier.verify(flipPayloadBit(A3_TOKEN)), 'ERR_JWT_SIGNATURE_INVALID')
  })

  test('a DER-encoded (not JOSE r||s) signature is refused', () => {
    const [h, p, s] = A3_TOKEN.split('.')
    const raw = Buffer.from(s, 'base64url')
    const key = crypto.createPrivateKey({ key: A3_PRIVATE_JWK, format: 'jwk' })
    const der = crypto.sign('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'der' })
    assert.notEqual(der.length, raw.length)
    const verifier = new TokenVerifier({ publicKey: A3_PUBLIC_JWK, clockTolerance: toleranceForVectors() })
    assertInvalid(verifier.verify(`${h}.${p}.${der.toString('base64url')}`), 'ERR_JWT_SIGNATURE_INVALID')
  })

  test('ferroauth signs with the RFC private JWK; node:crypto verifies with the RFC public key', () => {
    const signer = new TokenSigner({ privateKey: A3_PRIVATE_JWK })
    const token = signer.sign({ sub: 'rfc7515-a3' })
    const [h, p, s] = token.split('.')
    assert.deepEqual(JSON.parse(Buffer.from(h, 'base64url')), { alg: 'ES256', typ: 'at+jwt' })
    const key = crypto.createPublicKey({ key: A3_PUBLIC_JWK, format: 'jwk' })
    assert.equal(
      crypto.verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url')),
      true,
    )
    const result = new TokenVerifier({ publicKey: A3_PUBLIC_JWK }).verify(token)
    assert.equal(result.valid, true, result.error && result.error.message)
    assert.equal(result.payload.sub, 'rfc7515-a3')
  })
})

describe('RFC 8037 appendix A (Ed25519)', () => {
  test('the vector itself is consistent (node:crypto verifies and re-signs identically)', () => {
    const [h, p, s] = A4_TOKEN.split('.')
    const input = Buffer.from(`${h}.${p}`)
    const publicKey = crypto.createPublicKey({ key: ED_PUBLIC_JWK, format: 'jwk' })
    const privateKey = crypto.createPrivateKey({ key: ED_PRIVATE_JWK, format: 'jwk' })
    assert.equal(crypto.verify(null, input, publicKey, Buffer.from(s, 'base64url')), true)
    // Ed25519 is deterministic: the RFC's signature is what the private key produces.
    assert.equal(crypto.sign(null, input, privateKey).toString('base64url'), s)
  })

  test('A.4: the signature verifies but the payload is not JSON claims -> ERR_JWT_MALFORMED', () => {
    const verifier = new TokenVerifier({ publicKey: ED_PUBLIC_JWK, requireExpiration: false })
    assertInvalid(verifier.verify(A4_TOKEN), 'ERR_JWT_MALFORMED')
  })

  test('A.4 with one signature bit flipped -> ERR_JWT_SIGNATURE_INVALID (signature is checked before the payload)', () => {
    const verifier = new TokenVerifier({ publicKey: ED_PUBLIC_JWK, requireExpiration: false })
    assertInvalid(verifier.verify(flipSignatureBit(A4_TOKEN, 3)), 'ERR_JWT_SIGNATURE_INVALID')
  })

  test('ferroauth re-signs with the RFC private JWK; the RFC public key verifies it (ferroauth, node:crypto, jose)', async () => {
    const { jwtVerify } = await import('jose')
    const signer = new TokenSigner({ privateKey: ED_PRIVATE_JWK, expiresIn: 60 })
    const token = signer.sign({ sub: 'rfc8037', msg: 'Example of Ed25519 signing' })
    const [h, p, s] = token.split('.')
    assert.deepEqual(JSON.parse(Buffer.from(h, 'base64url')), { alg: 'EdDSA', typ: 'at+jwt' })

    const publicKey = crypto.createPublicKey({ key: ED_PUBLIC_JWK, format: 'jwk' })
    assert.equal(crypto.verify(null, Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url')), true)

    // Deterministic: node:crypto with the same private key produces the same signature bytes.
    const privateKey = crypto.createPrivateKey({ key: ED_PRIVATE_JWK, format: 'jwk' })
    assert.equal(crypto.sign(null, Buffer.from(`${h}.${p}`), privateKey).toString('base64url'), s)

    const ours = new TokenVerifier({ publicKey: ED_PUBLIC_JWK }).verify(token)
    assert.equal(ours.valid, true, ours.error && ours.error.message)
    assert.equal(ours.payload.msg, 'Example of Ed25519 signing')

    const { payload, protectedHeader } = await jwtVerify(token, publicKey, { algorithms: ['EdDSA'] })
    assert.equal(payload.sub, 'rfc8037')
    assert.equal(protectedHeader.typ, 'at+jwt')
  })

  test('a token signed by another Ed25519 key does not verify with the RFC public key', () => {
    const { privateKey } = generateKeyPair('ed25519')
    const token = new TokenSigner({ privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) }).sign({ sub: 'x' })
    assertInvalid(new TokenVerifier({ publicKey: ED_PUBLIC_JWK }).verify(token), 'ERR_JWT_SIGNATURE_INVALID')
  })
})
