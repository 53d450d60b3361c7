'use strict'

// Construction: option and key errors (FerroAuthError with a code), wrong option types
// (plain TypeError), and the short-HMAC-secret warning.

const { test, describe } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { generateKeyPair } = require('./helpers/keys.js')

const ferroauth = require('..')
const { TokenSigner, TokenVerifier, FerroAuthError, ErrorCodes, signAccessToken, verifyAccessToken } = ferroauth

const SECRET = 'construction-secret-0123456789abcdefghijklmnopqrstuvwxyz-0123456789' // 66 bytes

const RSA = generateKeyPair('rsa', { modulusLength: 2048 })
const WEAK_RSA = generateKeyPair('rsa', { modulusLength: 1024 })
const P256 = generateKeyPair('ec', { namedCurve: 'P-256' })
const ED = generateKeyPair('ed25519')
const pem = (key, type) => key.export({ type, format: 'pem' })

function assertThrowsCode(fn, code, label) {
  let thrown
  try {
    fn()
  } catch (error) {
    thrown = error
  }
  assert.ok(thrown !== undefined, `${label ?? ''}: expected ${code}, nothing was thrown`)
  assert.ok(thrown instanceof FerroAuthError, `${label ?? ''}: expected a FerroAuthError ${code}, got ${thrown && thrown.name}: ${thrown && thrown.message}`)
  assert.equal(thrown.code, code, `${label ?? ''}: ${thrown.message}`)
  assert.equal(thrown.name, 'FerroAuthError')
  assert.ok(thrown instanceof Error)
  assert.equal(typeof thrown.message, 'string')
  assert.ok(thrown.message.length > 0)
  return thrown
}

function assertTypeError(fn, label) {
  let thrown
  try {
    fn()
  } catch (error) {
    thrown = error
  }
  assert.ok(thrown !== undefined, `${label}: expected a TypeError, nothing was thrown`)
  assert.ok(thrown instanceof TypeError, `${label}: expected a TypeError, got ${thrown && thrown.name}: ${thrown && thrown.message}`)
  assert.ok(!(thrown instanceof FerroAuthError), `${label}: a wrong type is a plain TypeError`)
  assert.equal(thrown.code, 'ERR_INVALID_ARG_TYPE', label)
}

/** Runs fn and collects the process warnings it causes (they are emitted on the next tick). */
async function warningsFrom(fn) {
  const seen = []
  const listener = (warning) => seen.push(warning)
  process.on('warning', listener)
  try {
    fn()
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off('warning', listener)
  }
  return seen
}

describe('FerroAuthError and ErrorCodes', () => {
  test('FerroAuthError is exported, an Error subclass, with name and code', () => {
    assert.equal(typeof FerroAuthError, 'function')
    const error = assertThrowsCode(() => new TokenSigner({ secret: SECRET, algorithm: 'none' }), 'ERR_JWT_ALG_UNSUPPORTED')
    assert.ok(Object.prototype.toString.call(error) === '[object Error]')
    assert.match(error.stack, /FerroAuthError/)
  })

  test('ErrorCodes is frozen and maps each code to itself', () => {
    assert.ok(Object.isFrozen(ErrorCodes))
    for (const [key, value] of Object.entries(ErrorCodes)) assert.equal(key, value)
    for (const code of ['ERR_JWT_MALFORMED', 'ERR_JWT_TOO_LARGE', 'ERR_JWT_ALG_NOT_ALLOWED', 'ERR_JWT_TYPE_INVALID', 'ERR_JWT_CRIT_UNSUPPORTED', 'ERR_JWT_KEY_NOT_FOUND', 'ERR_JWT_SIGNATURE_INVALID', 'ERR_JWT_EXPIRED', 'ERR_JWT_NOT_YET_VALID', 'ERR_JWT_CLAIM_INVALID', 'ERR_JWT_CLAIM_MISSING', 'ERR_JWT_CLAIMS_INVALID', 'ERR_JWT_KEY_INVALID', 'ERR_JWT_KEY_TOO_WEAK', 'ERR_JWT_ALG_UNSUPPORTED', 'ERR_INVALID_OPTION']) {
      assert.equal(ErrorCodes[code], code)
    }
  })

  test('the JWT exports exist', () => {
    for (const name of ['TokenSigner', 'TokenVerifier', 'signAccessToken', 'verifyAccessToken', 'toUserPayload', 'FerroAuthError']) {
      assert.equal(typeof ferroauth[name], 'function', name)
    }
  })
})

describe('key errors', () => {
  test('an RSA key under 2048 bits -> ERR_JWT_KEY_TOO_WEAK, in every format', () => {
    for (const [label, privateKey] of [['PKCS#8', pem(WEAK_RSA.privateKey, 'pkcs8')], ['PKCS#1', pem(WEAK_RSA.privateKey, 'pkcs1')], ['JWK', WEAK_RSA.privateKey.export({ format: 'jwk' })]]) {
      assertThrowsCode(() => new TokenSigner({ privateKey }), 'ERR_JWT_KEY_TOO_WEAK', `signer ${label}`)
      assertThrowsCode(() => new TokenSigner({ privateKey, algorithm: 'PS256' }), 'ERR_JWT_KEY_TOO_WEAK', `signer PS256 ${label}`)
    }
    for (const [label, publicKey] of [['SPKI', pem(WEAK_RSA.publicKey, 'spki')], ['PKCS#1', pem(WEAK_RSA.publicKey, 'pkcs1')], ['JWK', WEAK_RSA.publicKey.export({ format: 'jwk' })]]) {
      assertThrowsCode(() => new TokenVerifier({ publicKey }), 'ERR_JWT_KEY_TOO_WEAK', `verifier ${label}`)
    }
    assertThrowsCode(() => new TokenVerifier({ jwks: { keys: [{ ...WEAK_RSA.publicKey.export({ format: 'jwk' }), kid: 'weak' }] } }), 'ERR_JWT_KEY_TOO_WEAK', 'jwks')
  })

  test('an empty HMAC secret -> ERR_JWT_KEY_INVALID', () => {
    for (const secret of ['', Buffer.alloc(0), new Uint8Array(0)]) {
      assertThrowsCode(() => new TokenSigner({ secret }), 'ERR_JWT_KEY_INVALID', 'signer')
      assertThrowsCode(() => new TokenVerifier({ secret }), 'ERR_JWT_KEY_INVALID', 'verifier')
    }
  })

  test('garbage PEM or JWK -> ERR_JWT_KEY_INVALID', () => {
    const truncated = pem(RSA.publicKey, 'spki').slice(0, 200) + '\n-----END PUBLIC KEY-----\n'
    const garbage = [
      'hello',
      '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
      '-----BEGIN PUBLIC KEY-----\n!!!!not base64!!!!\n-----END PUBLIC KEY-----\n',
      truncated,
      Buffer.from('not a key at all'),
      '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    ]
    for (const key of garbage) {
      assertThrowsCode(() => new TokenVerifier({ publicKey: key }), 'ERR_JWT_KEY_INVALID', `verifier ${String(key).slice(0, 30)}`)
      assertThrowsCode(() => new TokenSigner({ privateKey: key }), 'ERR_JWT_KEY_INVALID', `signer ${String(key).slice(0, 30)}`)
    }
    for (const jwk of [{ kty: 'RSA' }, { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }, { kty: 'FOO' }, { kty: 'OKP', crv: 'Ed25519' }, { kty: 'EC', crv: 'P-999', x: 'AA', y: 'AA' }]) {
      assertThrowsCode(() => new TokenVerifier({ publicKey: jwk }), 'ERR_JWT_KEY_INVALID', JSON.stringify(jwk))
    }
  })

  test('a private key where a public key is expected -> ERR_JWT_KEY_INVALID', () => {
    for (const [label, key] of [['PKCS#8', pem(RSA.privateKey, 'pkcs8')], ['PKCS#1', pem(RSA.privateKey, 'pkcs1')], ['SEC1', pem(P256.privateKey, 'sec1')], ['Ed25519 PKCS#8', pem(ED.privateKey, 'pkcs8')]]) {
      assertThrowsCode(() => new TokenVerifier({ publicKey: key }), 'ERR_JWT_KEY_INVALID', label)
    }
  })

  test('a public key where a private key is expected -> ERR_JWT_KEY_INVALID', () => {
    for (const [label, key] of [['SPKI', pem(RSA.publicKey, 'spki')], ['PKCS#1 public', pem(RSA.publicKey, 'pkcs1')], ['EC public JWK', P256.publicKey.export({ format: 'jwk' })], ['Ed25519 SPKI', pem(ED.publicKey, 'spki')]]) {
      assertThrowsCode(() => new TokenSigner({ privateKey: key }), 'ERR_JWT_KEY_INVALID', label)
    }
  })

  test('a KeyObject of the wrong kind is a TypeError that says which kind it got', () => {
    assert.throws(() => new TokenVerifier({ publicKey: RSA.privateKey }), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
      message: 'options.publicKey must be a public KeyObject, got a private KeyObject',
    })
    assert.throws(() => new TokenSigner({ privateKey: RSA.publicKey }), {
      name: 'TypeError',
      message: 'options.privateKey must be a private KeyObject, got a public KeyObject',
    })
  })
})

describe('algorithm errors', () => {
  test("algorithm 'none' (any case) or an unknown name -> ERR_JWT_ALG_UNSUPPORTED", () => {
    for (const algorithm of ['none', 'None', 'NONE', 'HS999', 'hs256', 'RSA-OAEP', '']) {
      assertThrowsCode(() => new TokenSigner({ secret: SECRET, algorithm }), 'ERR_JWT_ALG_UNSUPPORTED', algorithm)
    }
  })

  test('an algorithm that does not fit the key -> ERR_JWT_ALG_UNSUPPORTED', () => {
    const cases = [
      [{ secret: SECRET, algorithm: 'RS256' }, 'RS256 with a secret'],
      [{ secret: SECRET, algorithm: 'EdDSA' }, 'EdDSA with a secret'],
      [{ privateKey: pem(RSA.privateKey, 'pkcs8'), algorithm: 'ES256' }, 'ES256 with RSA'],
      [{ privateKey: pem(RSA.privateKey, 'pkcs8'), algorithm: 'HS256' }, 'HS256 with RSA'],
      [{ privateKey: pem(P256.privateKey, 'pkcs8'), algorithm: 'ES384' }, 'ES384 with P-256'],
      [{ privateKey: pem(P256.privateKey, 'pkcs8'), algorithm: 'RS256' }, 'RS256 with P-256'],
      [{ privateKey: pem(ED.privateKey, 'pkcs8'), algorithm: 'ES256' }, 'ES256 with Ed25519'],
      [{ privateKey: { ...P256.privateKey.export({ format: 'jwk' }), alg: 'ES512' } }, 'JWK alg ES512 on a P-256 key'],
    ]
    for (const [options, label] of cases) assertThrowsCode(() => new TokenSigner(options), 'ERR_JWT_ALG_UNSUPPORTED', label)
  })

  test('an allow-list with nothing usable for the key -> ERR_JWT_ALG_UNSUPPORTED', () => {
    const cases = [
      [{ secret: SECRET, algorithms: ['none'] }, "['none']"],
      [{ secret: SECRET, algorithms: ['RS256'] }, 'RS256 for a secret'],
      [{ secret: SECRET, algorithms: [] }, 'empty list'],
      [{ publicKey: pem(RSA.publicKey, 'spki'), algorithms: ['ES256', 'HS256'] }, 'ES256/HS256 for RSA'],
      [{ publicKey: pem(P256.publicKey, 'spki'), algorithms: ['ES384'] }, 'ES384 for P-256'],
      [{ publicKey: pem(RSA.publicKey, 'spki'), algorithms: ['XS256'] }, 'unknown name'],
    ]
    for (const [options, label] of cases) assertThrowsCode(() => new TokenVerifier(options), 'ERR_JWT_ALG_UNSUPPORTED', label)
  })
})

describe('option values', () => {
  test('not exactly one of secret / publicKey / jwks -> ERR_INVALID_OPTION', () => {
    const jwks = { keys: [P256.publicKey.export({ format: 'jwk' })] }
    for (const options of [{}, { secret: SECRET, publicKey: pem(RSA.publicKey, 'spki') }, { secret: SECRET, jwks }, { publicKey: pem(RSA.publicKey, 'spki'), jwks }, { issuer: 'x' }]) {
      assertThrowsCode(() => new TokenVerifier(options), 'ERR_INVALID_OPTION', JSON.stringify(Object.keys(options)))
    }
    assertThrowsCode(() => new TokenSigner({}), 'ERR_INVALID_OPTION', 'signer without a key')
    assertThrowsCode(() => new TokenSigner({ secret: SECRET, privateKey: pem(RSA.privateKey, 'pkcs8') }), 'ERR_INVALID_OPTION', 'signer with both')
  })

  test('unparseable durations and negative tolerances -> ERR_INVALID_OPTION', () => {
    for (const expiresIn of ['15x', 'abc', '', '15 minutes please', '-', NaN]) {
      assertThrowsCode(() => new TokenSigner({ secret: SECRET, expiresIn }), 'ERR_INVALID_OPTION', `expiresIn ${String(expiresIn)}`)
    }
    assertThrowsCode(() => new TokenSigner({ secret: SECRET, notBefore: '1y2' }), 'ERR_INVALID_OPTION', 'notBefore')
    for (const clockTolerance of [-1, '-5s', 'soon', NaN]) {
      assertThrowsCode(() => new TokenVerifier({ secret: SECRET, clockTolerance }), 'ERR_INVALID_OPTION', `clockTolerance ${String(clockTolerance)}`)
    }
    for (const maxTokenAge of ['1x', -10]) {
      assertThrowsCode(() => new TokenVerifier({ secret: SECRET, maxTokenAge }), 'ERR_INVALID_OPTION', `maxTokenAge ${maxTokenAge}`)
    }
  })

  test('durations in every documented unit are accepted', () => {
    for (const expiresIn of [1, 60, '30s', '15m', '12h', '7d', '90']) {
      assert.doesNotThrow(() => new TokenSigner({ secret: SECRET, expiresIn }), String(expiresIn))
    }
    for (const clockTolerance of [0, 5, '5s', '1m']) {
      assert.doesNotThrow(() => new TokenVerifier({ secret: SECRET, clockTolerance }), String(clockTolerance))
    }
  })
})

describe('wrong option types -> TypeError (ERR_INVALID_ARG_TYPE)', () => {
  test('options that are not an object', () => {
    for (const options of [undefined, null, 'secret', 42, true]) {
      assertTypeError(() => new TokenSigner(options), `signer ${String(options)}`)
      assertTypeError(() => new TokenVerifier(options), `verifier ${String(options)}`)
    }
  })

  test('verifier options of the wrong type', () => {
    const cases = {
      secret: [42, true, {}, ['s']],
      publicKey: [42, true],
      jwks: ['keys', 42, { keys: 'x' }],
      algorithms: ['HS256', [256], {}],
      issuer: [42, { iss: 'x' }, [1]],
      audience: [42, {}, [true]],
      clockTolerance: [{}, true, [1]],
      maxTokenAge: [{}, true],
      requiredClaims: ['sub', [1]],
      requireExpiration: ['yes', 1],
      maxTokenLength: ['100', {}],
      cache: ['yes', 1],
    }
    for (const [name, values] of Object.entries(cases)) {
      for (const value of values) {
        const base = name === 'secret' || name === 'publicKey' || name === 'jwks' ? {} : { secret: SECRET }
        assertTypeError(() => new TokenVerifier({ ...base, [name]: value }), `verifier ${name}: ${JSON.stringify(value)}`)
      }
    }
  })

  test('signer options of the wrong type', () => {
    const cases = {
      secret: [42, true, {}],
      privateKey: [42, true],
      algorithm: [256, ['HS256']],
      kid: [42, {}],
      issuer: [42, ['a']],
      audience: [42, {}],
      expiresIn: [{}, true, ['15m']],
      notBefore: [{}, true],
    }
    for (const [name, values] of Object.entries(cases)) {
      for (const value of values) {
        const base = name === 'secret' || name === 'privateKey' ? {} : { secret: SECRET }
        assertTypeError(() => new TokenSigner({ ...base, [name]: value }), `signer ${name}: ${JSON.stringify(value)}`)
      }
    }
  })

  test('signAccessToken / verifyAccessToken with options that are not an object', () => {
    assertTypeError(() => signAccessToken({}, undefined), 'signAccessToken')
    assertTypeError(() => verifyAccessToken('a.b.c', null), 'verifyAccessToken')
  })
})

describe('short HMAC secret warning', () => {
  const isShortWarning = (warning) => warning.code === 'FERROAUTH_HMAC_SECRET_SHORT'

  test('a 10-byte secret works but emits exactly one FERROAUTH_HMAC_SECRET_SHORT warning per construction', async () => {
    let signer, verifier
    const fromSigner = await warningsFrom(() => { signer = new TokenSigner({ secret: 'x'.repeat(10) }) })
    assert.equal(fromSigner.filter(isShortWarning).length, 1)
    assert.equal(fromSigner.length, 1, 'no other warnings')
    assert.equal(fromSigner[0].name, 'FerroAuthWarning')
    assert.ok(fromSigner[0].message.length > 0)

    const fromVerifier = await warningsFrom(() => { verifier = new TokenVerifier({ secret: Buffer.from('x'.repeat(10)) }) })
    assert.equal(fromVerifier.filter(isShortWarning).length, 1)
    assert.equal(fromVerifier.length, 1, 'no other warnings')

    // Signing and verifying do not warn again.
    const fromUse = await warningsFrom(() => {
      const token = signer.sign({ sub: 'short' })
      const result = verifier.verify(token)
      assert.equal(result.valid, true)
      assert.equal(result.payload.sub, 'short')
    })
    assert.equal(fromUse.length, 0)
  })

  test('the threshold is the hash output: 32/48/64 bytes for HS256/384/512', async () => {
    const count = async (options) => (await warningsFrom(() => new TokenSigner(options))).filter(isShortWarning).length
    assert.equal(await count({ secret: 'k'.repeat(32) }), 0)
    assert.equal(await count({ secret: 'k'.repeat(31) }), 1)
    assert.equal(await count({ secret: 'k'.repeat(48), algorithm: 'HS384' }), 0)
    assert.equal(await count({ secret: 'k'.repeat(40), algorithm: 'HS384' }), 1)
    assert.equal(await count({ secret: 'k'.repeat(64), algorithm: 'HS512' }), 0)
    assert.equal(await count({ secret: 'k'.repeat(40), algorithm: 'HS512' }), 1)
    assert.equal(await count({ secret: crypto.randomBytes(32) }), 0)
    const verifierCount = (await warningsFrom(() => new TokenVerifier({ secret: 'k'.repeat(32), algorithms: ['HS256'] }))).filter(isShortWarning).length
    assert.equal(verifierCount, 0)
  })

  test('no warning for asymmetric keys', async () => {
    const warnings = await warningsFrom(() => {
      new TokenSigner({ privateKey: pem(P256.privateKey, 'pkcs8') })
      new TokenVerifier({ publicKey: pem(RSA.publicKey, 'spki') })
    })
    assert.equal(warnings.length, 0)
  })

  test('the one-call forms build once per options object, so they warn once', async () => {
    const signOptions = { secret: 'short-secret' }
    const verifyOptions = { secret: 'short-secret' }
    const warnings = await warningsFrom(() => {
      for (let i = 0; i < 3; i++) {
        const token = signAccessToken({ sub: String(i) }, signOptions)
        assert.equal(verifyAccessToken(token, verifyOptions).valid, true)
      }
    })
    assert.equal(warnings.filter(isShortWarning).length, 2, 'one for the signer options, one for the verifier options')
  })
})
