'use strict'

// TokenSigner behaviour (header, registered claims, caller claims), the one-call forms,
// and toUserPayload.

const { test, describe } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { generateKeyPair } = require('./helpers/keys.js')

const { TokenSigner, TokenVerifier, FerroAuthError, signAccessToken, verifyAccessToken, toUserPayload } = require('..')

const SECRET = 'signer-secret-0123456789abcdef-0123456789' // 41 bytes
const now = () => Math.floor(Date.now() / 1000)
const decode = (token) => {
  const [h, p, s] = token.split('.')
  assert.equal(token.split('.').length, 3)
  assert.match(h + p + s, /^[A-Za-z0-9_-]+$/, 'compact JWS segments are unpadded base64url')
  return { header: JSON.parse(Buffer.from(h, 'base64url')), payload: JSON.parse(Buffer.from(p, 'base64url')) }
}
const asList = (value) => (Array.isArray(value) ? value : [value])

function assertValid(result) {
  assert.equal(result.valid, true, result.valid ? '' : `${result.error.code}: ${result.error.message}`)
  return result.payload
}

function assertClaimsInvalid(fn, label) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof FerroAuthError, `${label}: expected FerroAuthError, got ${error && error.name}: ${error && error.message}`)
    assert.equal(error.code, 'ERR_JWT_CLAIMS_INVALID', label)
    assert.equal(error.name, 'FerroAuthError')
    return true
  }, label)
}

describe('header', () => {
  test("header is exactly { alg, typ: 'at+jwt' }, plus kid when configured", () => {
    assert.deepEqual(decode(new TokenSigner({ secret: SECRET }).sign({})).header, { alg: 'HS256', typ: 'at+jwt' })
    assert.deepEqual(decode(new TokenSigner({ secret: SECRET, algorithm: 'HS512', kid: 'k-2024' }).sign({})).header, { alg: 'HS512', typ: 'at+jwt', kid: 'k-2024' })
    const { privateKey } = generateKeyPair('ec', { namedCurve: 'P-384' })
    assert.deepEqual(decode(new TokenSigner({ privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }), kid: 'ec' }).sign({})).header, { alg: 'ES384', typ: 'at+jwt', kid: 'ec' })
  })

  test('caller claims cannot change the header', () => {
    const { header } = decode(new TokenSigner({ secret: SECRET }).sign({ alg: 'none', typ: 'JWT', kid: 'evil' }))
    assert.deepEqual(header, { alg: 'HS256', typ: 'at+jwt' })
  })
})

describe('registered claims', () => {
  test('iat is now, exp is iat + 15 minutes by default', () => {
    const before = now()
    const { payload } = decode(new TokenSigner({ secret: SECRET }).sign({}))
    const after = now()
    assert.ok(Number.isInteger(payload.iat) && payload.iat >= before && payload.iat <= after, `iat ${payload.iat}`)
    assert.equal(payload.exp - payload.iat, 900)
    assert.equal(payload.nbf, undefined)
    assert.equal(payload.iss, undefined)
    assert.equal(payload.aud, undefined)
  })

  test('expiresIn: seconds or duration strings', () => {
    const cases = [[60, 60], [1, 1], ['15m', 900], ['30s', 30], ['2h', 7200], ['7d', 604800], ['90', 90]]
    for (const [expiresIn, seconds] of cases) {
      const { payload } = decode(new TokenSigner({ secret: SECRET, expiresIn }).sign({}))
      assert.equal(payload.exp - payload.iat, seconds, `expiresIn ${JSON.stringify(expiresIn)}`)
    }
  })

  test('notBefore: nbf = iat + notBefore, and the verifier honours it', () => {
    for (const [notBefore, seconds] of [[60, 60], ['1m', 60], ['2h', 7200]]) {
      const token = new TokenSigner({ secret: SECRET, notBefore, expiresIn: '1d' }).sign({})
      const { payload } = decode(token)
      assert.equal(payload.nbf - payload.iat, seconds)
      const result = new TokenVerifier({ secret: SECRET }).verify(token)
      assert.equal(result.valid, false)
      assert.equal(result.error.code, 'ERR_JWT_NOT_YET_VALID')
    }
  })

  test('jti: random base64url, unique across 2000 calls', () => {
    const signer = new TokenSigner({ secret: SECRET })
    const seen = new Set()
    for (let i = 0; i < 2000; i++) {
      const { jti } = decode(signer.sign({ sub: 'same' })).payload
      assert.equal(typeof jti, 'string')
      assert.match(jti, /^[A-Za-z0-9_-]{16,}$/, `jti ${jti}: base64url with at least 96 bits`)
      seen.add(jti)
    }
    assert.equal(seen.size, 2000)
    // And across signers with the same key.
    const other = decode(new TokenSigner({ secret: SECRET }).sign({ sub: 'same' })).payload.jti
    assert.ok(!seen.has(other))
  })

  test('iss and aud when configured', () => {
    const { payload } = decode(new TokenSigner({ secret: SECRET, issuer: 'https://auth.example', audience: 'api' }).sign({}))
    assert.equal(payload.iss, 'https://auth.example')
    assert.deepEqual(asList(payload.aud), ['api'])
    const many = decode(new TokenSigner({ secret: SECRET, audience: ['api', 'web'] }).sign({})).payload
    assert.deepEqual(many.aud, ['api', 'web'])
  })

  test('tokens with iss/aud verify against a verifier that requires them', () => {
    const token = new TokenSigner({ secret: SECRET, issuer: 'https://auth.example', audience: ['api', 'web'] }).sign({ sub: 'u' })
    assertValid(new TokenVerifier({ secret: SECRET, issuer: 'https://auth.example', audience: 'web' }).verify(token))
    const wrong = new TokenVerifier({ secret: SECRET, issuer: 'https://other.example' }).verify(token)
    assert.equal(wrong.valid, false)
    assert.equal(wrong.error.code, 'ERR_JWT_CLAIM_INVALID')
    assert.equal(wrong.error.claim, 'iss')
  })
})

describe('caller claims', () => {
  test('caller claims are carried exactly', () => {
    const claims = {
      sub: 'user-1',
      email: 'ada@example.com',
      roles: ['admin', 'ops'],
      scope: 'read write',
      n: 42,
      f: 1.5,
      neg: -7,
      yes: true,
      no: false,
      nothing: null,
      nested: { deep: { list: [1, 'two', { three: 3 }] } },
      unicode: 'héllo ✓ 日本 😀',
      'http://example.com/claim': 'uri',
      empty: '',
      quote: 'a"b\\c\n',
    }
    const token = new TokenSigner({ secret: SECRET }).sign(claims)
    const fromToken = decode(token).payload
    const verified = assertValid(new TokenVerifier({ secret: SECRET }).verify(token))
    for (const payload of [fromToken, verified]) {
      for (const [key, value] of Object.entries(claims)) assert.deepEqual(payload[key], value, key)
    }
  })

  test('caller iat/exp/nbf/jti/iss/aud win over the defaults', () => {
    const signer = new TokenSigner({ secret: SECRET, issuer: 'https://configured', audience: 'configured', expiresIn: '15m', notBefore: 10 })
    const mine = { iat: now() - 5, exp: now() + 42, nbf: now() - 1, jti: 'my-jti', iss: 'https://mine', aud: ['mine'] }
    const { payload } = decode(signer.sign(mine))
    for (const [key, value] of Object.entries(mine)) assert.deepEqual(payload[key], value, key)
  })

  test('the caller object is not modified', () => {
    const claims = { sub: 'u' }
    Object.freeze(claims)
    new TokenSigner({ secret: SECRET, issuer: 'i', audience: 'a' }).sign(claims)
    assert.deepEqual(claims, { sub: 'u' })
    const open = { sub: 'u' }
    new TokenSigner({ secret: SECRET }).sign(open)
    assert.deepEqual(open, { sub: 'u' })
  })

  test('an object without a prototype is a plain object', () => {
    const claims = Object.create(null)
    claims.sub = 'np'
    assert.equal(decode(new TokenSigner({ secret: SECRET }).sign(claims)).payload.sub, 'np')
  })

  test('claims that are not a plain object -> ERR_JWT_CLAIMS_INVALID', () => {
    const signer = new TokenSigner({ secret: SECRET })
    for (const claims of [undefined, null, 'sub', 42, true, [], [{ sub: 'x' }], Symbol('c'), () => ({})]) {
      assertClaimsInvalid(() => signer.sign(claims), typeof claims === 'symbol' ? 'symbol' : JSON.stringify(claims) ?? String(claims))
    }
    assertClaimsInvalid(() => signer.sign(), 'no argument')
  })

  test('a Map or a Date is not a plain object -> ERR_JWT_CLAIMS_INVALID', () => {
    const signer = new TokenSigner({ secret: SECRET })
    assertClaimsInvalid(() => signer.sign(new Map([['sub', 'x']])), 'Map')
    assertClaimsInvalid(() => signer.sign(new Date()), 'Date')
  })

  test('time claims that are not numbers -> ERR_JWT_CLAIMS_INVALID', () => {
    const signer = new TokenSigner({ secret: SECRET })
    for (const claim of ['exp', 'nbf', 'iat']) {
      for (const value of ['9999999999', 'tomorrow', true, {}, [1], null]) {
        assertClaimsInvalid(() => signer.sign({ [claim]: value }), `${claim}: ${JSON.stringify(value)}`)
      }
    }
  })

  test('claims JSON cannot represent (BigInt, cycles) -> ERR_JWT_CLAIMS_INVALID', () => {
    const signer = new TokenSigner({ secret: SECRET })
    assertClaimsInvalid(() => signer.sign({ n: 10n }), 'BigInt')
    const cyclic = { sub: 'c' }
    cyclic.self = cyclic
    assertClaimsInvalid(() => signer.sign(cyclic), 'cycle')
  })

  test('a signer keeps working after a refused call', () => {
    const signer = new TokenSigner({ secret: SECRET })
    assert.throws(() => signer.sign(null))
    assertValid(new TokenVerifier({ secret: SECRET }).verify(signer.sign({ sub: 'after' })))
  })
})

describe('one-call forms', () => {
  test('signAccessToken / verifyAccessToken round-trip', () => {
    const signOptions = { secret: SECRET, issuer: 'https://auth.example', audience: 'api', expiresIn: '5m' }
    const verifyOptions = { secret: SECRET, issuer: 'https://auth.example', audience: 'api' }
    const token = signAccessToken({ sub: 'one-call', roles: ['r'] }, signOptions)
    const { header, payload } = decode(token)
    assert.deepEqual(header, { alg: 'HS256', typ: 'at+jwt' })
    assert.equal(payload.exp - payload.iat, 300)
    const result = verifyAccessToken(token, verifyOptions)
    assert.equal(assertValid(result).sub, 'one-call')
    assert.deepEqual(result.payload.roles, ['r'])
    // The same as a TokenVerifier with those options.
    assert.deepEqual({ ...result.payload }, { ...assertValid(new TokenVerifier(verifyOptions).verify(token)) })
  })

  test('repeated calls with one options object keep working; tokens differ by jti', () => {
    const options = { secret: SECRET }
    const jtis = new Set()
    for (let i = 0; i < 50; i++) {
      const token = signAccessToken({ i }, options)
      const payload = assertValid(verifyAccessToken(token, options))
      assert.equal(payload.i, i)
      jtis.add(payload.jti)
    }
    assert.equal(jtis.size, 50)
  })

  test('verifyAccessToken refuses bad tokens with a code, and honours its options', () => {
    const token = signAccessToken({ sub: 'x' }, { secret: SECRET })
    const wrongKey = verifyAccessToken(token, { secret: `${SECRET}!` })
    assert.equal(wrongKey.valid, false)
    assert.equal(wrongKey.error.code, 'ERR_JWT_SIGNATURE_INVALID')
    const wrongAudience = verifyAccessToken(token, { secret: SECRET, audience: 'api' })
    assert.equal(wrongAudience.valid, false)
    assert.equal(wrongAudience.error.code, 'ERR_JWT_CLAIM_MISSING')
    assert.equal(wrongAudience.error.claim, 'aud')
    const garbage = verifyAccessToken('not.a.token', { secret: SECRET })
    assert.equal(garbage.valid, false)
    assert.equal(garbage.error.code, 'ERR_JWT_MALFORMED')
  })

  test('signAccessToken refuses bad claims and bad options like TokenSigner', () => {
    assertClaimsInvalid(() => signAccessToken([], { secret: SECRET }), 'array claims')
    assert.throws(() => signAccessToken({}, { secret: SECRET, algorithm: 'none' }), (error) => error instanceof FerroAuthError && error.code === 'ERR_JWT_ALG_UNSUPPORTED')
    assert.throws(() => verifyAccessToken('a.b.c', { secret: '' }), (error) => error instanceof FerroAuthError && error.code === 'ERR_JWT_KEY_INVALID')
  })
})

describe('toUserPayload', () => {
  test('sub -> userId, email, scope string -> scopes, roles array -> roles, claims', () => {
    const payload = { sub: 'user-7', email: 'ada@example.com', scope: 'read:users write:users', roles: ['admin', 'ops'], exp: 1, tenant: 't' }
    const user = toUserPayload(payload)
    assert.equal(user.userId, 'user-7')
    assert.equal(user.email, 'ada@example.com')
    assert.deepEqual(user.scopes, ['read:users', 'write:users'])
    assert.deepEqual(user.roles, ['admin', 'ops'])
    assert.deepEqual(user.claims, payload)
  })

  test('scopes array -> scopes; role string -> roles', () => {
    const user = toUserPayload({ sub: 'u', scopes: ['a', 'b'], role: 'editor' })
    assert.deepEqual(user.scopes, ['a', 'b'])
    assert.deepEqual(user.roles, ['editor'])
  })

  test('nothing to map -> empty lists, no email', () => {
    const user = toUserPayload({ sub: 'u' })
    assert.deepEqual(user.scopes, [])
    assert.deepEqual(user.roles, [])
    assert.equal(user.email, undefined)
    assert.equal(user.userId, 'u')
    assert.deepEqual(user.claims, { sub: 'u' })
  })

  test('a scope string with extra spaces gives no empty scopes', () => {
    assert.deepEqual(toUserPayload({ sub: 'u', scope: '  a   b ' }).scopes, ['a', 'b'])
    assert.deepEqual(toUserPayload({ sub: 'u', scope: '' }).scopes, [])
  })

  test('works on a verified payload (including a cached, frozen one)', () => {
    const token = new TokenSigner({ secret: SECRET }).sign({ sub: 'v', scope: 's1 s2', roles: ['r'] })
    for (const verifier of [new TokenVerifier({ secret: SECRET }), new TokenVerifier({ secret: SECRET, cache: true })]) {
      verifier.verify(token)
      const user = toUserPayload(assertValid(verifier.verify(token)))
      assert.equal(user.userId, 'v')
      assert.deepEqual(user.scopes, ['s1', 's2'])
      assert.deepEqual(user.roles, ['r'])
      assert.equal(user.claims.sub, 'v')
    }
  })

  test('each user from one frozen (cached) payload is its own object with its own lists', () => {
    const payload = Object.freeze({ sub: 'f', scope: 'a b', roles: Object.freeze(['r1']) })
    const first = toUserPayload(payload)
    const second = toUserPayload(payload)
    assert.notEqual(first, second)
    assert.notEqual(first.scopes, second.scopes)
    assert.notEqual(first.roles, second.roles)
    first.scopes.push('admin')
    first.roles.push('admin')
    first.userId = 'someone-else'
    const third = toUserPayload(payload)
    assert.deepEqual(third, { userId: 'f', email: undefined, scopes: ['a', 'b'], roles: ['r1'], claims: payload })
    assert.deepEqual(second.scopes, ['a', 'b'])
    assert.deepEqual(second.roles, ['r1'])
  })

  test('an unfrozen payload is read afresh each time', () => {
    const payload = { sub: 'u1', scope: 'a' }
    assert.deepEqual(toUserPayload(payload).scopes, ['a'])
    payload.sub = 'u2'
    payload.scope = 'b c'
    const user = toUserPayload(payload)
    assert.equal(user.userId, 'u2')
    assert.deepEqual(user.scopes, ['b', 'c'])
  })
})
