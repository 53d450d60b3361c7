'use strict'

// Interoperability both ways with jose and jsonwebtoken, for every algorithm, with keys in
// every format ferroauth accepts. Keys are generated once for the whole file.

const { test, describe, before } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { generateKeyPair } = require('./helpers/keys.js')
const jsonwebtoken = require('jsonwebtoken')

const { TokenSigner, TokenVerifier } = require('..')

let jose
before(async () => {
  jose = await import('jose')
})

const now = () => Math.floor(Date.now() / 1000)
const decodeHeader = (token) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url'))
const decodePayload = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url'))

function assertValid(result) {
  assert.equal(result.valid, true, result.valid ? '' : `${result.error.code}: ${result.error.message}`)
  return result.payload
}

function assertInvalid(result, code) {
  assert.equal(result.valid, false, `expected ${code}, got a valid result`)
  assert.equal(result.error.code, code, result.error.message)
}

// ---- keys, generated once ------------------------------------------------------------

function describeKeyPair(pair) {
  const { privateKey, publicKey } = pair
  const kind = privateKey.asymmetricKeyType
  const privateForms = {
    'PKCS#8 PEM': privateKey.export({ type: 'pkcs8', format: 'pem' }),
    'PKCS#8 PEM Buffer': Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })),
    'private JWK': privateKey.export({ format: 'jwk' }),
  }
  const publicForms = {
    'SPKI PEM': publicKey.export({ type: 'spki', format: 'pem' }),
    'SPKI PEM Buffer': Buffer.from(publicKey.export({ type: 'spki', format: 'pem' })),
    'public JWK': publicKey.export({ format: 'jwk' }),
  }
  if (kind === 'rsa') {
    privateForms['PKCS#1 PEM (RSA PRIVATE KEY)'] = privateKey.export({ type: 'pkcs1', format: 'pem' })
    publicForms['PKCS#1 PEM (RSA PUBLIC KEY)'] = publicKey.export({ type: 'pkcs1', format: 'pem' })
  }
  if (kind === 'ec') {
    privateForms['SEC1 PEM (EC PRIVATE KEY)'] = privateKey.export({ type: 'sec1', format: 'pem' })
  }
  return { privateKey, publicKey, privateForms, publicForms }
}

const RSA = describeKeyPair(generateKeyPair('rsa', { modulusLength: 2048 }))
const RSA_OTHER = describeKeyPair(generateKeyPair('rsa', { modulusLength: 2048 }))
const P256 = describeKeyPair(generateKeyPair('ec', { namedCurve: 'P-256' }))
const P384 = describeKeyPair(generateKeyPair('ec', { namedCurve: 'P-384' }))
const P521 = describeKeyPair(generateKeyPair('ec', { namedCurve: 'P-521' }))
const ED25519 = describeKeyPair(generateKeyPair('ed25519'))

// 64 bytes: long enough for HS512, so no FERROAUTH_HMAC_SECRET_SHORT warnings here.
const SECRET_STRING = 'interop-secret-' + 'x'.repeat(49)
const SECRET_BUFFER = crypto.randomBytes(64)

const ASYMMETRIC = {
  RS256: RSA, RS384: RSA, RS512: RSA,
  PS256: RSA, PS384: RSA, PS512: RSA,
  ES256: P256, ES384: P384, ES512: P521,
  EdDSA: ED25519,
}
/** Another key pair of the same kind and curve as `keys`. */
function strangerOf(keys) {
  if (keys === RSA) return RSA_OTHER
  const { asymmetricKeyType, asymmetricKeyDetails } = keys.publicKey
  if (asymmetricKeyType === 'ec') {
    return describeKeyPair(generateKeyPair('ec', { namedCurve: asymmetricKeyDetails.namedCurve }))
  }
  return describeKeyPair(generateKeyPair(asymmetricKeyType))
}

const HMAC = ['HS256', 'HS384', 'HS512']
const JSONWEBTOKEN_SUPPORTS = (alg) => alg !== 'EdDSA'

const CLAIMS = { sub: 'user-42', email: 'ada@example.com', roles: ['admin'], nested: { n: 1, s: 'é✓' } }

function checkOurPayload(payload, alg) {
  assert.equal(payload.sub, CLAIMS.sub)
  assert.equal(payload.email, CLAIMS.email)
  assert.deepEqual(payload.roles, CLAIMS.roles)
  assert.deepEqual(payload.nested, CLAIMS.nested)
  assert.equal(typeof payload.iat, 'number', alg)
  assert.equal(typeof payload.exp, 'number', alg)
  assert.equal(typeof payload.jti, 'string', alg)
}

// ---- HMAC ------------------------------------------------------------------------------

describe('HMAC interoperability', () => {
  for (const alg of HMAC) {
    for (const [label, secret] of [['string secret', SECRET_STRING], ['Buffer secret', SECRET_BUFFER]]) {
      const bytes = Buffer.from(secret)

      test(`${alg} (${label}): ferroauth signs, jose and jsonwebtoken verify`, async () => {
        const token = new TokenSigner({ algorithm: alg, secret }).sign(CLAIMS)
        assert.deepEqual(decodeHeader(token), { alg, typ: 'at+jwt' })
        const { payload, protectedHeader } = await jose.jwtVerify(token, bytes, { algorithms: [alg], typ: 'at+jwt' })
        assert.equal(protectedHeader.alg, alg)
        checkOurPayload(payload, alg)
        checkOurPayload(jsonwebtoken.verify(token, bytes, { algorithms: [alg] }), alg)
      })

      test(`${alg} (${label}): jose and jsonwebtoken sign, ferroauth verifies`, async () => {
        const verifier = new TokenVerifier({ secret })
        const fromJose = await new jose.SignJWT({ sub: 'from-jose' })
          .setProtectedHeader({ alg, typ: 'at+jwt' })
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(bytes)
        assert.equal(assertValid(verifier.verify(fromJose)).sub, 'from-jose')

        const fromJsonwebtoken = jsonwebtoken.sign({ sub: 'from-jsonwebtoken' }, bytes, { algorithm: alg, expiresIn: 300 })
        assert.equal(decodeHeader(fromJsonwebtoken).typ, 'JWT')
        assert.equal(assertValid(verifier.verify(fromJsonwebtoken)).sub, 'from-jsonwebtoken')

        // A string secret and the Buffer of its bytes are the same key.
        if (typeof secret === 'string') {
          const twin = new TokenVerifier({ secret: Buffer.from(secret) })
          assert.equal(assertValid(twin.verify(fromJose)).sub, 'from-jose')
        }
      })
    }
  }

  test('a non-ASCII string secret is used as its UTF-8 bytes', async () => {
    const secret = 'pässwörd-✓-'.repeat(4)
    const token = new TokenSigner({ secret }).sign({ sub: 'utf8' })
    await jose.jwtVerify(token, new TextEncoder().encode(secret))
    const fromJose = await new jose.SignJWT({ sub: 'utf8' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode(secret))
    assertValid(new TokenVerifier({ secret }).verify(fromJose))
    assertValid(new TokenVerifier({ secret: Buffer.from(secret, 'utf8') }).verify(token))
  })

  test('a secret verifier accepts HS256/384/512 by default and only the allow-list when given', async () => {
    const any = new TokenVerifier({ secret: SECRET_STRING })
    const only384 = new TokenVerifier({ secret: SECRET_STRING, algorithms: ['HS384'] })
    for (const alg of HMAC) {
      const token = new TokenSigner({ algorithm: alg, secret: SECRET_STRING }).sign({})
      assertValid(any.verify(token))
      if (alg === 'HS384') assertValid(only384.verify(token))
      else assertInvalid(only384.verify(token), 'ERR_JWT_ALG_NOT_ALLOWED')
    }
  })

  test('the default algorithm for a secret is HS256', () => {
    assert.equal(decodeHeader(new TokenSigner({ secret: SECRET_STRING }).sign({})).alg, 'HS256')
  })
})

// ---- asymmetric --------------------------------------------------------------------------

describe('asymmetric interoperability', () => {
  for (const [alg, keys] of Object.entries(ASYMMETRIC)) {
    const jwtLibs = JSONWEBTOKEN_SUPPORTS(alg) ? 'jose and jsonwebtoken' : 'jose only (jsonwebtoken has no EdDSA)'

    test(`${alg}: ferroauth signs, ${jwtLibs} verify`, async () => {
      const token = new TokenSigner({ algorithm: alg, privateKey: keys.privateForms['PKCS#8 PEM'], kid: 'k1' }).sign(CLAIMS)
      assert.deepEqual(decodeHeader(token), { alg, typ: 'at+jwt', kid: 'k1' })
      const { payload } = await jose.jwtVerify(token, keys.publicKey, { algorithms: [alg], typ: 'at+jwt' })
      checkOurPayload(payload, alg)
      if (JSONWEBTOKEN_SUPPORTS(alg)) {
        checkOurPayload(jsonwebtoken.verify(token, keys.publicForms['SPKI PEM'], { algorithms: [alg] }), alg)
      }
    })

    test(`${alg}: ${jwtLibs} sign, ferroauth verifies`, async () => {
      const verifier = new TokenVerifier({ publicKey: keys.publicForms['SPKI PEM'] })
      for (const typ of ['at+jwt', 'JWT', undefined]) {
        const header = typ === undefined ? { alg } : { alg, typ }
        const fromJose = await new jose.SignJWT({ sub: 'from-jose', typ: String(typ) })
          .setProtectedHeader(header)
          .setIssuedAt()
          .setExpirationTime('5m')
          .setJti(crypto.randomUUID())
          .sign(keys.privateKey)
        assert.equal(assertValid(verifier.verify(fromJose)).sub, 'from-jose')
      }
      if (JSONWEBTOKEN_SUPPORTS(alg)) {
        const fromJsonwebtoken = jsonwebtoken.sign({ sub: 'from-jsonwebtoken' }, keys.privateForms['PKCS#8 PEM'], {
          algorithm: alg,
          expiresIn: '5m',
          keyid: 'abc',
        })
        // A kid in the token does not matter to a single-key verifier.
        assert.equal(assertValid(verifier.verify(fromJsonwebtoken)).sub, 'from-jsonwebtoken')
      }
    })

    test(`${alg}: every private key format signs, every public key format verifies`, async () => {
      const tokens = []
      for (const [label, privateKey] of Object.entries(keys.privateForms)) {
        const token = new TokenSigner({ algorithm: alg, privateKey }).sign({ sub: label })
        assert.equal(decodeHeader(token).alg, alg, label)
        tokens.push(token)
      }
      tokens.push(new TokenSigner({ algorithm: alg, privateKey: keys.privateKey }).sign({ sub: 'KeyObject' }))
      const fromJose = await new jose.SignJWT({ sub: 'jose' })
        .setProtectedHeader({ alg })
        .setExpirationTime('1m')
        .sign(keys.privateKey)
      tokens.push(fromJose)

      const publicForms = { ...keys.publicForms, KeyObject: keys.publicKey }
      for (const [label, publicKey] of Object.entries(publicForms)) {
        const verifier = new TokenVerifier({ publicKey })
        for (const token of tokens) {
          const payload = assertValid(verifier.verify(token))
          assert.equal(payload.sub, decodePayload(token).sub, label)
        }
      }
      // The public key of another pair of the same kind refuses them all.
      const strangerVerifier = new TokenVerifier({ publicKey: strangerOf(keys).publicForms['public JWK'] })
      for (const token of tokens) assertInvalid(strangerVerifier.verify(token), 'ERR_JWT_SIGNATURE_INVALID')
    })
  }

  test('the algorithm is derived from the key: RSA -> RS256, P-256 -> ES256, P-384 -> ES384, P-521 -> ES512, Ed25519 -> EdDSA', () => {
    const expected = [[RSA, 'RS256'], [P256, 'ES256'], [P384, 'ES384'], [P521, 'ES512'], [ED25519, 'EdDSA']]
    for (const [keys, alg] of expected) {
      for (const [label, privateKey] of Object.entries(keys.privateForms)) {
        const token = new TokenSigner({ privateKey }).sign({})
        assert.equal(decodeHeader(token).alg, alg, label)
        assertValid(new TokenVerifier({ publicKey: keys.publicForms['SPKI PEM'] }).verify(token))
      }
    }
  })

  test("a JWK's alg wins over the key's default algorithm", async () => {
    const privateJwk = { ...RSA.privateForms['private JWK'], alg: 'PS384' }
    const token = new TokenSigner({ privateKey: privateJwk }).sign({})
    assert.equal(decodeHeader(token).alg, 'PS384')
    await jose.jwtVerify(token, RSA.publicKey, { algorithms: ['PS384'] })
    // A public JWK with alg accepts only that algorithm.
    const verifier = new TokenVerifier({ publicKey: { ...RSA.publicForms['public JWK'], alg: 'PS384' } })
    assertValid(verifier.verify(token))
    const rs256 = new TokenSigner({ algorithm: 'RS256', privateKey: RSA.privateForms['PKCS#8 PEM'] }).sign({})
    assertInvalid(verifier.verify(rs256), 'ERR_JWT_ALG_NOT_ALLOWED')
  })

  test('an RSA verifier accepts RS* and PS* by default; the allow-list narrows it', () => {
    const any = new TokenVerifier({ publicKey: RSA.publicForms['SPKI PEM'] })
    const onlyPs256 = new TokenVerifier({ publicKey: RSA.publicForms['SPKI PEM'], algorithms: ['PS256'] })
    for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']) {
      const token = new TokenSigner({ algorithm: alg, privateKey: RSA.privateForms['PKCS#8 PEM'] }).sign({})
      assertValid(any.verify(token))
      if (alg === 'PS256') assertValid(onlyPs256.verify(token))
      else assertInvalid(onlyPs256.verify(token), 'ERR_JWT_ALG_NOT_ALLOWED')
    }
  })

  test('an EC verifier accepts only the algorithm of its curve', () => {
    const verifier = new TokenVerifier({ publicKey: P256.publicForms['SPKI PEM'] })
    const es384 = new TokenSigner({ privateKey: P384.privateForms['PKCS#8 PEM'] }).sign({})
    assertInvalid(verifier.verify(es384), 'ERR_JWT_ALG_NOT_ALLOWED')
    const rs256 = new TokenSigner({ privateKey: RSA.privateForms['PKCS#8 PEM'] }).sign({})
    assertInvalid(verifier.verify(rs256), 'ERR_JWT_ALG_NOT_ALLOWED')
    const eddsa = new TokenSigner({ privateKey: ED25519.privateForms['PKCS#8 PEM'] }).sign({})
    assertInvalid(verifier.verify(eddsa), 'ERR_JWT_ALG_NOT_ALLOWED')
    const hs256 = new TokenSigner({ secret: SECRET_STRING }).sign({})
    assertInvalid(verifier.verify(hs256), 'ERR_JWT_ALG_NOT_ALLOWED')
  })

  test('ES256 signatures are JOSE r||s (64 bytes), ES384 96 bytes, ES512 132 bytes', () => {
    for (const [keys, length] of [[P256, 64], [P384, 96], [P521, 132]]) {
      const token = new TokenSigner({ privateKey: keys.privateForms['SEC1 PEM (EC PRIVATE KEY)'] }).sign({})
      assert.equal(Buffer.from(token.split('.')[2], 'base64url').length, length)
    }
  })
})

// ---- JWKS --------------------------------------------------------------------------------

describe('JWKS with several keys', () => {
  const jwk = (keys, extra) => ({ ...keys.publicForms['public JWK'], ...extra })
  let jwks
  before(() => {
    jwks = {
      keys: [
        jwk(RSA, { kid: 'rsa-1', use: 'sig' }),
        jwk(RSA_OTHER, { kid: 'rsa-2', alg: 'PS256' }),
        jwk(P256, { kid: 'ec-256' }),
        jwk(P384, { kid: 'ec-384', alg: 'ES384' }),
        jwk(ED25519, { kid: 'ed-1' }),
      ],
    }
  })

  const sign = (keys, options) => new TokenSigner({ privateKey: keys.privateForms['PKCS#8 PEM'], ...options }).sign({ sub: options.kid ?? 'no-kid' })

  test("the token's kid selects the key", () => {
    const verifier = new TokenVerifier({ jwks })
    assert.equal(assertValid(verifier.verify(sign(RSA, { kid: 'rsa-1' }))).sub, 'rsa-1')
    assertValid(verifier.verify(sign(RSA, { kid: 'rsa-1', algorithm: 'PS512' })))
    assertValid(verifier.verify(sign(RSA_OTHER, { kid: 'rsa-2', algorithm: 'PS256' })))
    assertValid(verifier.verify(sign(P256, { kid: 'ec-256' })))
    assertValid(verifier.verify(sign(P384, { kid: 'ec-384' })))
    assertValid(verifier.verify(sign(ED25519, { kid: 'ed-1' })))
  })

  test('a kid that names another key gives ERR_JWT_SIGNATURE_INVALID', () => {
    const verifier = new TokenVerifier({ jwks })
    assertInvalid(verifier.verify(sign(RSA_OTHER, { kid: 'rsa-1' })), 'ERR_JWT_SIGNATURE_INVALID')
    assertInvalid(verifier.verify(sign(RSA, { kid: 'rsa-2', algorithm: 'PS256' })), 'ERR_JWT_SIGNATURE_INVALID')
  })

  test('an unknown kid gives ERR_JWT_KEY_NOT_FOUND', () => {
    const verifier = new TokenVerifier({ jwks })
    for (const kid of ['nope', '', 'RSA-1', 'rsa-1 ', '../rsa-1', 'ec-256\u0000']) {
      assertInvalid(verifier.verify(sign(RSA, { kid })), 'ERR_JWT_KEY_NOT_FOUND')
    }
  })

  test("a kid whose JWK pins another alg is refused (ALG_NOT_ALLOWED, or KEY_NOT_FOUND: the spec's order leaves both)", () => {
    const verifier = new TokenVerifier({ jwks })
    const result = verifier.verify(sign(RSA_OTHER, { kid: 'rsa-2', algorithm: 'RS256' }))
    assert.equal(result.valid, false)
    assert.ok(['ERR_JWT_ALG_NOT_ALLOWED', 'ERR_JWT_KEY_NOT_FOUND'].includes(result.error.code), result.error.code)
  })

  test('without a kid, the keys whose algorithms fit are tried', () => {
    const verifier = new TokenVerifier({ jwks })
    assertValid(verifier.verify(sign(RSA, {})))
    assertValid(verifier.verify(sign(RSA_OTHER, { algorithm: 'PS256' })))
    assertValid(verifier.verify(sign(P256, {})))
    assertValid(verifier.verify(sign(ED25519, {})))
    // rsa-2 is pinned to PS256, so an RS256 token made with its key matches no key.
    assertInvalid(verifier.verify(sign(RSA_OTHER, { algorithm: 'RS256' })), 'ERR_JWT_SIGNATURE_INVALID')
    const stranger = describeKeyPair(generateKeyPair('ec', { namedCurve: 'P-256' }))
    assertInvalid(verifier.verify(sign(stranger, {})), 'ERR_JWT_SIGNATURE_INVALID')
  })

  test('the allow-list applies to JWKS keys too', () => {
    const verifier = new TokenVerifier({ jwks, algorithms: ['ES256', 'EdDSA'] })
    assertValid(verifier.verify(sign(P256, { kid: 'ec-256' })))
    assertValid(verifier.verify(sign(ED25519, { kid: 'ed-1' })))
    assertInvalid(verifier.verify(sign(RSA, { kid: 'rsa-1' })), 'ERR_JWT_ALG_NOT_ALLOWED')
  })

  test('jose signs with a kid, ferroauth verifies through the JWKS; ferroauth signs, jose verifies through createLocalJWKSet', async () => {
    const verifier = new TokenVerifier({ jwks })
    const fromJose = await new jose.SignJWT({ sub: 'jose' })
      .setProtectedHeader({ alg: 'ES256', kid: 'ec-256', typ: 'at+jwt' })
      .setExpirationTime('2m')
      .sign(P256.privateKey)
    assert.equal(assertValid(verifier.verify(fromJose)).sub, 'jose')

    const keySet = jose.createLocalJWKSet(jwks)
    for (const [keys, kid, algorithm] of [[RSA, 'rsa-1', 'RS384'], [RSA_OTHER, 'rsa-2', 'PS256'], [P384, 'ec-384', undefined], [ED25519, 'ed-1', undefined]]) {
      const token = sign(keys, algorithm ? { kid, algorithm } : { kid })
      const { payload, protectedHeader } = await jose.jwtVerify(token, keySet)
      assert.equal(payload.sub, kid)
      assert.equal(protectedHeader.kid, kid)
    }
  })

  test("a signer given a JWK with a kid writes that kid (index.d.ts: a JWK's own kid is used when not set)", () => {
    const token = new TokenSigner({ privateKey: { ...P256.privateForms['private JWK'], kid: 'from-jwk' } }).sign({})
    assert.equal(decodeHeader(token).kid, 'from-jwk')
    const overridden = new TokenSigner({ privateKey: { ...P256.privateForms['private JWK'], kid: 'from-jwk' }, kid: 'explicit' }).sign({})
    assert.equal(decodeHeader(overridden).kid, 'explicit')
  })

  test('jsonwebtoken signs with keyid, ferroauth verifies through the JWKS', () => {
    const verifier = new TokenVerifier({ jwks })
    const token = jsonwebtoken.sign({ sub: 'jsonwebtoken' }, RSA.privateForms['PKCS#1 PEM (RSA PRIVATE KEY)'], {
      algorithm: 'RS512',
      keyid: 'rsa-1',
      expiresIn: 60,
    })
    assert.equal(assertValid(verifier.verify(token)).sub, 'jsonwebtoken')
    const wrongKid = jsonwebtoken.sign({}, RSA.privateForms['PKCS#8 PEM'], { algorithm: 'RS256', keyid: 'missing', expiresIn: 60 })
    assertInvalid(verifier.verify(wrongKid), 'ERR_JWT_KEY_NOT_FOUND')
  })

  test('tokens verified by jose and ferroauth agree on the payload exactly', async () => {
    const token = new TokenSigner({ privateKey: ED25519.privateForms['private JWK'], issuer: 'https://issuer.example', audience: ['a', 'b'] })
      .sign({ sub: 'same', n: 1.5, list: [1, 'two', null], deep: { a: { b: { c: true } } } })
    const ours = assertValid(new TokenVerifier({ publicKey: ED25519.publicForms['public JWK'] }).verify(token))
    const { payload: theirs } = await jose.jwtVerify(token, ED25519.publicKey, { issuer: 'https://issuer.example', audience: 'b' })
    assert.deepEqual({ ...ours }, { ...theirs })
    assert.ok(ours.exp > now())
  })
})
