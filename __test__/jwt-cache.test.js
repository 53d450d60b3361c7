'use strict'

// The verifier's result cache (`cache: true`): same answers as without it, entries that
// never outlive the token, no way for an invalid token to become valid, no collisions.

const { test, describe } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { setTimeout: sleep } = require('node:timers/promises')

const { TokenSigner, TokenVerifier } = require('..')

const SECRET = 'cache-secret-0123456789abcdef-0123456789abcdef-0123456789abcdef' // 64 bytes
const now = () => Math.floor(Date.now() / 1000)
const signer = new TokenSigner({ secret: SECRET })
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url')
const hmacToken = (header, payload, secret = SECRET) => {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`
}

function flipSignature(token) {
  const [h, p, s] = token.split('.')
  const sig = Buffer.from(s, 'base64url')
  sig[5] ^= 0x10
  return `${h}.${p}.${sig.toString('base64url')}`
}

/** Plain copy, so frozen (cached) and unfrozen results compare equal. */
const plain = (value) => JSON.parse(JSON.stringify(value))

function assertValid(result) {
  assert.equal(result.valid, true, result.valid ? '' : `${result.error.code}: ${result.error.message}`)
  return result.payload
}

function assertInvalid(result, code) {
  assert.equal(result.valid, false, `expected ${code}, got a valid result`)
  assert.equal(result.error.code, code, result.error.message)
}

describe('verifier cache', () => {
  test('gives the same results as an uncached verifier, the first time and from the cache', () => {
    const options = { secret: SECRET, audience: 'api', clockTolerance: 2 }
    const cached = new TokenVerifier({ ...options, cache: true })
    const uncached = new TokenVerifier(options)
    const good = signer.sign({ sub: 'good', aud: 'api', nested: { a: [1, 2] } })
    const tokens = [
      good,
      flipSignature(good),
      signer.sign({ sub: 'wrong-aud', aud: 'web' }),
      signer.sign({ sub: 'no-aud' }),
      signer.sign({ aud: 'api', exp: now() - 100 }),
      signer.sign({ aud: 'api', nbf: now() + 100 }),
      hmacToken({ alg: 'none' }, { aud: 'api', exp: now() + 100 }),
      hmacToken({ alg: 'HS256', typ: 'JOSE' }, { aud: 'api', exp: now() + 100 }),
      'not-a-token',
      '',
      'a.b.c',
      42,
    ]
    for (let round = 0; round < 3; round++) {
      for (const token of tokens) {
        assert.deepEqual(plain(cached.verify(token)), plain(uncached.verify(token)), `round ${round}: ${String(token).slice(0, 40)}`)
      }
    }
    assertValid(cached.verify(good))
  })

  test('an invalid token never becomes valid through the cache', () => {
    const cached = new TokenVerifier({ secret: SECRET, cache: true })
    const good = signer.sign({ sub: 'good' })
    const [h, p] = good.split('.')
    const forged = [
      flipSignature(good),
      `${h}.${p}.`,
      `${h}.${p}.${Buffer.alloc(32).toString('base64url')}`,
      `${b64({ alg: 'HS256', typ: 'at+jwt', kid: 'x' })}.${p}.${good.split('.')[2]}`,
      `${h}.${b64({ ...JSON.parse(Buffer.from(p, 'base64url')), sub: 'admin' })}.${good.split('.')[2]}`,
      `${h}.${p}`,
      `${good}.`,
      `${good} `,
      ` ${good}`,
      good.slice(0, -1),
    ]
    const firstCodes = forged.map((token) => {
      const result = cached.verify(token)
      assert.equal(result.valid, false)
      return result.error.code
    })
    for (let round = 0; round < 3; round++) {
      assertValid(cached.verify(good))
      forged.forEach((token, i) => {
        const result = cached.verify(token)
        assert.equal(result.valid, false, `round ${round}, forged #${i} verified after the real token was cached`)
        assert.equal(result.error.code, firstCodes[i])
      })
    }
  })

  test('a token cached by one verifier is not valid in another with a different key', () => {
    const a = new TokenVerifier({ secret: SECRET, cache: true })
    const b = new TokenVerifier({ secret: `${SECRET}-other`, cache: true })
    const token = signer.sign({ sub: 'a' })
    assertValid(a.verify(token))
    assertValid(a.verify(token))
    assertInvalid(b.verify(token), 'ERR_JWT_SIGNATURE_INVALID')
    assertInvalid(b.verify(token), 'ERR_JWT_SIGNATURE_INVALID')
    const c = new TokenVerifier({ secret: SECRET, cache: true, audience: 'api' })
    assertInvalid(c.verify(token), 'ERR_JWT_CLAIM_MISSING')
  })

  test('different tokens never collide, with eviction (max 16) and without', () => {
    const tokens = Array.from({ length: 300 }, (_, i) => signer.sign({ sub: `user-${i}`, n: i }))
    for (const cache of [true, { max: 16 }, { max: 1 }]) {
      const verifier = new TokenVerifier({ secret: SECRET, cache })
      for (let round = 0; round < 2; round++) {
        tokens.forEach((token, i) => {
          const payload = assertValid(verifier.verify(token))
          assert.equal(payload.sub, `user-${i}`)
          assert.equal(payload.n, i)
        })
        // Interleaved re-use of a few hot tokens.
        for (const i of [0, 299, 0, 150, 299]) assert.equal(assertValid(verifier.verify(tokens[i])).n, i)
      }
    }
  })

  test('tokens sharing header and payload but not the signature do not share an entry', () => {
    const cached = new TokenVerifier({ secret: SECRET, cache: true })
    const claims = { sub: 'same', exp: now() + 600, jti: 'fixed' }
    const real = hmacToken({ alg: 'HS256' }, claims)
    const other = hmacToken({ alg: 'HS256' }, claims, `${SECRET}-attacker`)
    assert.notEqual(real, other)
    assertValid(cached.verify(real))
    assertInvalid(cached.verify(other), 'ERR_JWT_SIGNATURE_INVALID')
    assertValid(cached.verify(real))
  })

  test('a token sharing the cached token\'s signature (and so its cache key) is verified in full, and does not displace it', () => {
    const cached = new TokenVerifier({ secret: SECRET, cache: { max: 4 } })
    const good = signer.sign({ sub: 'good', roles: ['reader'] })
    const [h, p, s] = good.split('.')
    const first = cached.verify(good)
    assertValid(first)
    assert.equal(cached.verify(good), first) // from the cache
    const sameSignature = [
      `${h}.${b64({ ...JSON.parse(Buffer.from(p, 'base64url')), sub: 'admin' })}.${s}`,
      `${b64({ alg: 'none' })}.${p}.${s}`,
      `x${good}`,
      s,
      s.slice(-16),
    ]
    for (const token of sameSignature) {
      assert.equal(cached.verify(token).valid, false, token)
      assert.equal(cached.verify(good), first, `the real token's entry survives ${token}`)
    }
    // A short token (shorter than the key) is its own key, and still checked in full.
    assertInvalid(cached.verify('a.b'), 'ERR_JWT_MALFORMED')
  })

  test('a full cache drops the entry used least recently, not one in use', () => {
    const cached = new TokenVerifier({ secret: SECRET, cache: { max: 3 } })
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((sub) => signer.sign({ sub }))
    const first = new Map([a, b, c].map((token) => [token, cached.verify(token)]))
    const fromCache = (token) => cached.verify(token) === first.get(token)
    assert.ok(fromCache(a)) // a is used; b, the oldest unused, goes when d arrives
    first.set(d, cached.verify(d))
    assert.ok(fromCache(c), 'c stays')
    assert.ok(fromCache(a), 'a stays')
    assert.ok(fromCache(d), 'd was cached')
    assert.ok(!fromCache(b), 'b was dropped')
    // b came back in place of c (a and d were used, so c was the oldest unmarked one); now
    // every entry is used, and a new token still finds room.
    first.set(b, cached.verify(b))
    assert.ok(fromCache(b), 'b is cached again')
    first.set(e, cached.verify(e))
    assert.ok(fromCache(e), 'the newest token is cached')
  })

  test('changing a returned payload does not change what the cache returns next', () => {
    const cached = new TokenVerifier({ secret: SECRET, cache: true })
    const token = signer.sign({ sub: 'user', roles: ['reader'] })
    const first = assertValid(cached.verify(token))
    try {
      first.sub = 'admin'
      first.roles.push('admin')
      first.extra = true
    } catch {
      // A frozen payload refuses the change: that is fine too.
    }
    const second = assertValid(cached.verify(token))
    assert.equal(second.sub, 'user')
    assert.deepEqual([...second.roles], ['reader'])
    assert.equal(second.extra, undefined)
  })

  test('tokens without exp (requireExpiration: false) still verify correctly with the cache', () => {
    const cached = new TokenVerifier({ secret: SECRET, cache: true, requireExpiration: false })
    const token = hmacToken({ alg: 'HS256' }, { sub: 'forever' })
    for (let i = 0; i < 3; i++) assert.equal(assertValid(cached.verify(token)).sub, 'forever')
    assertInvalid(cached.verify(flipSignature(token)), 'ERR_JWT_SIGNATURE_INVALID')
  })
})

// These two wait ~2 s each for the clock; they run side by side.
describe('verifier cache and the clock', { concurrency: true }, () => {
  test('an entry is not returned after the token expires (exp, exp with tolerance, and maxTokenAge)', async () => {
    const short = new TokenSigner({ secret: SECRET, expiresIn: 1 }).sign({ sub: 'short' })
    const explicit = signer.sign({ sub: 'explicit', exp: now() + 1 })
    const plainCache = new TokenVerifier({ secret: SECRET, cache: true })
    const tolerant = new TokenVerifier({ secret: SECRET, cache: true, clockTolerance: 1 })
    const aged = signer.sign({ sub: 'aged', iat: now() - 59, exp: now() + 3600 })
    const ageLimited = new TokenVerifier({ secret: SECRET, cache: true, maxTokenAge: 60 })

    for (let i = 0; i < 3; i++) {
      assertValid(plainCache.verify(short))
      assertValid(plainCache.verify(explicit))
      assertValid(tolerant.verify(explicit))
      assertValid(ageLimited.verify(aged))
    }
    await sleep(2100)
    assertInvalid(plainCache.verify(short), 'ERR_JWT_EXPIRED')
    assertInvalid(plainCache.verify(explicit), 'ERR_JWT_EXPIRED')
    assertInvalid(tolerant.verify(explicit), 'ERR_JWT_EXPIRED')
    assertInvalid(ageLimited.verify(aged), 'ERR_JWT_EXPIRED')
    // And the uncached answer agrees.
    assertInvalid(new TokenVerifier({ secret: SECRET }).verify(short), 'ERR_JWT_EXPIRED')
  })

  test('a token not yet valid is not cached as valid, and becomes valid when its time comes', async () => {
    const cached = new TokenVerifier({ secret: SECRET, cache: true })
    const token = signer.sign({ sub: 'later', nbf: now() + 1 })
    assertInvalid(cached.verify(token), 'ERR_JWT_NOT_YET_VALID')
    await sleep(2100)
    assertValid(cached.verify(token))
  })
})
