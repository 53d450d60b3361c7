'use strict'

// Rate limiting: one suite of behaviour run against each store (memory, one real Redis
// server, a real three-node Redis Cluster), then what only Redis has: limiters on several
// connections and processes counting together, what is stored, a lost answer, Redis dying.

const { test, describe, before, after } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { promisify } = require('node:util')

const { RateLimiter, MemoryStore, RedisStore, ErrorCodes } = require('..')
const { startRedis } = require('./helpers/redis.js')
const { storesUnderTest } = require('./helpers/stores.js')
const { rejectsWith } = require('./helpers/rejects.js')
const { startLossyProxy } = require('./helpers/lossy-proxy.js')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const { servers, stores } = storesUnderTest()

for (const [kind, makeStore] of Object.entries(stores)) {
  describe(`rate limiting on the ${kind} store`, () => {
    const limiter = (options) => new RateLimiter({ store: makeStore(), ...options })

    test('consume: remaining counts down, then denied with retryAfter; resetAt is a window after the newest hit', async () => {
      const l = limiter({ limit: 3, window: '1m' })
      assert.equal(l.limit, 3)
      assert.equal(l.window, 60)
      const started = Date.now()
      const results = []
      for (let i = 0; i < 4; i++) results.push(await l.consume('203.0.113.7'))
      assert.deepEqual(results.map((r) => [r.allowed, r.limit, r.remaining, r.retryAfter]), [
        [true, 3, 2, 0],
        [true, 3, 1, 0],
        [true, 3, 0, 0],
        [false, 3, 0, 60],
      ])
      assert.deepEqual(Object.keys(results[0]), ['allowed', 'limit', 'remaining', 'retryAfter', 'resetAt'])
      for (const r of results) {
        assert.ok(r.resetAt instanceof Date)
        // Redis answers on its own clock; both run on this machine.
        const ahead = r.resetAt.getTime() - started
        assert.ok(ahead >= 60_000 - 50 && ahead <= 60_000 + 2000, `resetAt ${ahead} ms ahead`)
      }
      // The denied hit was not recorded: the allowance comes back a window after the third.
      assert.equal(results[3].resetAt.getTime(), results[2].resetAt.getTime())
      // Other keys are untouched.
      assert.deepEqual((await l.consume('198.51.100.2')).remaining, 2)
    })

    test('the window slides: the oldest hit leaving lets exactly one more in; denied hits do not extend it', async () => {
      const l = limiter({ limit: 2, window: 0.3 })
      assert.equal((await l.consume('k')).allowed, true)
      await sleep(150)
      assert.equal((await l.consume('k')).allowed, true)
      const denied = await l.consume('k')
      assert.equal(denied.allowed, false)
      assert.equal(denied.retryAfter, 1) // less than a second, rounded up
      // Hammering while denied changes nothing.
      for (let i = 0; i < 5; i++) assert.equal((await l.consume('k')).allowed, false)
      await sleep(200) // the first hit (350 ms ago) has left the window, the second (200 ms) not
      const next = await l.consume('k')
      assert.equal(next.allowed, true)
      assert.equal(next.remaining, 0)
      assert.equal((await l.consume('k')).allowed, false)
      await sleep(400) // everything has left
      const fresh = await l.consume('k')
      assert.deepEqual([fresh.allowed, fresh.remaining], [true, 1])
    })

    test('reset forgets a key (after a successful login); other keys keep their counts', async () => {
      const l = limiter({ limit: 1, window: '1h' })
      await l.consume('ada@example.com')
      await l.consume('bob@example.com')
      assert.equal((await l.consume('ada@example.com')).allowed, false)
      assert.equal(await l.reset('ada@example.com'), undefined)
      await l.reset('ada@example.com') // nothing to forget: fine
      assert.equal((await l.consume('ada@example.com')).allowed, true)
      assert.equal((await l.consume('bob@example.com')).allowed, false)
    })

    test('200 concurrent consumes with limit 50: exactly 50 allowed', async () => {
      const l = limiter({ limit: 50, window: '1m' })
      const results = await Promise.all(Array.from({ length: 200 }, () => l.consume('burst')))
      assert.equal(results.filter((r) => r.allowed).length, 50)
      const remaining = results.filter((r) => r.allowed).map((r) => r.remaining).sort((a, b) => a - b)
      assert.deepEqual(remaining, Array.from({ length: 50 }, (_, i) => i))
      assert.ok(results.filter((r) => !r.allowed).every((r) => r.remaining === 0 && r.retryAfter === 60))
    })

    test('limiters on one store: different settings keep separate logs, the same name shares one', async () => {
      const store = makeStore()
      const perMinute = new RateLimiter({ store, limit: 1, window: '1m' })
      const perHour = new RateLimiter({ store, limit: 1, window: '1h' })
      const alsoPerMinute = new RateLimiter({ store, limit: 1, window: 60 })
      assert.equal((await perMinute.consume('k')).allowed, true)
      assert.equal((await perHour.consume('k')).allowed, true)
      assert.equal((await alsoPerMinute.consume('k')).allowed, false)
      const login = new RateLimiter({ store, limit: 2, window: '1m', name: 'login' })
      const loginStrict = new RateLimiter({ store, limit: 3, window: '1h', name: 'login' })
      await login.consume('k')
      assert.equal((await loginStrict.consume('k')).remaining, 1)
      assert.equal((await login.consume('k')).allowed, false)
    })

    test('keys: any non-empty string up to 1024 UTF-8 bytes; others refused with a code and a message', async () => {
      const l = limiter({ limit: 5, window: '1m' })
      for (const key of ['x', 'é'.repeat(512), '🔑'.repeat(256), 'a:b:{c}', '\u0000', ' ']) {
        assert.equal((await l.consume(key)).allowed, true, JSON.stringify(key.slice(0, 10)))
      }
      await rejectsWith(l.consume(''), 'ERR_RATE_LIMIT_KEY_INVALID', 'Rate limit key is invalid: the key is empty')
      for (const key of ['x'.repeat(1025), `${'é'.repeat(512)}x`, 'x'.repeat(1e6)]) {
        await rejectsWith(l.consume(key), 'ERR_RATE_LIMIT_KEY_INVALID', 'Rate limit key is invalid: the key is longer than 1024 bytes')
      }
      await rejectsWith(l.reset(''), 'ERR_RATE_LIMIT_KEY_INVALID', 'Rate limit key is invalid: the key is empty')
      for (const key of [undefined, null, 42, {}, ['k']]) {
        await assert.rejects(l.consume(key), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /^key must be a string, got / })
      }
      assert.equal(ErrorCodes.ERR_RATE_LIMIT_KEY_INVALID, 'ERR_RATE_LIMIT_KEY_INVALID')
    })
  })
}

describe('limiter options', () => {
  const store = new MemoryStore()
  const refuses = (options, message) =>
    assert.throws(() => new RateLimiter({ store, ...options }), { name: 'FerroAuthError', code: 'ERR_INVALID_OPTION', message }, JSON.stringify(options))

  test('limit: an integer from 1 to 100000', () => {
    for (const limit of [0, -1, 1.5, 100_001, NaN, Infinity]) {
      refuses({ limit, window: 60 }, `limit must be an integer from 1 to 100000, got ${limit}`)
    }
    assert.equal(new RateLimiter({ store, limit: 100_000, window: 60 }).limit, 100_000)
  })

  test('window: 1 ms to 1 year, in seconds or a duration string', () => {
    refuses({ limit: 1, window: 0 }, 'window must be from 1 millisecond to 1 year, got 0 ms')
    refuses({ limit: 1, window: '0.1ms' }, 'window must be from 1 millisecond to 1 year, got 0 ms')
    refuses({ limit: 1, window: '2y' }, 'window must be from 1 millisecond to 1 year, got 63115200000 ms')
    refuses({ limit: 1, window: -5 }, 'window: must be a finite, non-negative duration')
    refuses({ limit: 1, window: 'soon' }, 'window: "soon" is not a duration (use seconds, or a string like "30s", "15m", "12h", "7d")')
    assert.equal(new RateLimiter({ store, limit: 1, window: '1ms' }).window, 0.001)
    assert.equal(new RateLimiter({ store, limit: 1, window: '1y' }).window, 31_557_600)
    assert.equal(new RateLimiter({ limit: 1, window: '15m' }).window, 900) // default store
  })

  test('name: letters, digits, _ - . up to 64', () => {
    for (const name of ['', 'a:b', 'with space', 'x'.repeat(65)]) {
      refuses({ limit: 1, window: 60, name }, `name must be 1 to 64 letters, digits, '_', '-' or '.', got ${JSON.stringify(name)}`)
    }
    new RateLimiter({ store, limit: 1, window: 60, name: 'login.v2_strict-1' })
  })

  test('wrong types are TypeErrors naming the option', () => {
    const typeError = (options, message) =>
      assert.throws(() => new RateLimiter(options), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message })
    typeError(undefined, 'options must be an object, got undefined')
    typeError({ window: 60 }, 'options.limit must be a number, got undefined')
    typeError({ limit: '5', window: 60 }, 'options.limit must be a number, got string')
    typeError({ limit: 5 }, 'options.window must be seconds or a duration string, got undefined')
    typeError({ limit: 5, window: 60, name: 5 }, 'options.name must be a string, got number')
    typeError({ limit: 5, window: 60, store: {} }, 'options.store must be a MemoryStore or a RedisStore, got object')
  })
})

describe('rate limiting: Redis specifics', () => {
  test('limiters on separate connections count together, and so do separate processes', async () => {
    const keyPrefix = `shared${crypto.randomUUID()}:`
    const a = new RateLimiter({ store: new RedisStore({ url: servers.redis.url, keyPrefix }), limit: 30, window: '1m' })
    const b = new RateLimiter({ store: new RedisStore({ url: servers.redis.url, keyPrefix }), limit: 30, window: '1m' })
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).consume('k')))
    assert.equal(results.filter((r) => r.allowed).length, 30)

    const child = path.join(__dirname, 'helpers', 'consume-many.js')
    const run = () => promisify(execFile)(process.execPath, [child, servers.redis.url, keyPrefix, '50', 'procs', '40'])
    const outputs = await Promise.all([run(), run()])
    const allowed = outputs.map(({ stdout }) => JSON.parse(stdout).allowed)
    assert.equal(allowed[0] + allowed[1], 50, JSON.stringify(allowed))
  })

  test('one list per key under <prefix>rl:<scope>:<key>, at most limit entries, expiring a window after the newest hit', async () => {
    const keyPrefix = `keys${crypto.randomUUID()}:`
    const store = new RedisStore({ url: servers.redis.url, keyPrefix })
    const l = new RateLimiter({ store, limit: 3, window: '1h' })
    const named = new RateLimiter({ store, limit: 3, window: '1h', name: 'login' })
    for (let i = 0; i < 5; i++) await l.consume('ada@example.com')
    await named.consume('ada@example.com')
    const keys = servers.redis.cli('--scan', '--pattern', `${keyPrefix}*`).trim().split('\n').sort()
    assert.equal(keys.length, 2, keys.join())
    const scope = crypto.createHash('sha256').update('3/3600000').digest('hex').slice(0, 16)
    assert.deepEqual(keys, [`${keyPrefix}rl:${scope}:ada@example.com`, `${keyPrefix}rl:login:ada@example.com`].sort())
    const key = `${keyPrefix}rl:${scope}:ada@example.com`
    assert.equal(servers.redis.cli('TYPE', key).trim(), 'list')
    assert.equal(servers.redis.cli('LLEN', key).trim(), '3') // the two denied hits left nothing
    const entries = servers.redis.cli('LRANGE', key, '0', '-1').trim().split('\n')
    for (const entry of entries) assert.match(entry, /^\d{13}-[A-Za-z0-9_-]{11}$/)
    const ttl = Number(servers.redis.cli('PTTL', key).trim())
    assert.ok(ttl > 3_590_000 && ttl <= 3_600_000, `PTTL ${ttl}`)
    await l.reset('ada@example.com')
    assert.equal(servers.redis.cli('EXISTS', key).trim(), '0')
  })

  test('an answer lost with its connection: the call is sent again and counted once', async () => {
    const proxy = await startLossyProxy({ host: '127.0.0.1', port: servers.redis.port })
    try {
      const keyPrefix = `lossy${crypto.randomUUID()}:`
      const l = new RateLimiter({ store: new RedisStore({ url: proxy.url, keyPrefix }), limit: 3, window: '1h' })
      assert.equal((await l.consume('k')).remaining, 2) // connected, script loaded
      proxy.loseNextAnswer()
      const resent = await l.consume('k')
      assert.equal(proxy.lost, 1)
      assert.deepEqual([resent.allowed, resent.remaining], [true, 1])
      // Without the resend check the first send and the resend would both have counted.
      assert.deepEqual([(await l.consume('k')).remaining, (await l.consume('k')).allowed], [0, false])
      const key = servers.redis.cli('--scan', '--pattern', `${keyPrefix}*`).trim()
      assert.equal(servers.redis.cli('LLEN', key).trim(), '3')
    } finally {
      await proxy.stop()
    }
  })

  test('Redis down: ERR_STORE_UNAVAILABLE within the bound, then recovery', async () => {
    const server = await startRedis()
    try {
      const store = new RedisStore({ url: server.url, commandTimeout: '300ms', connectTimeout: '200ms' })
      const l = new RateLimiter({ store, limit: 5, window: '1m' })
      assert.equal((await l.consume('k')).allowed, true)
      await server.kill()
      const started = Date.now()
      const error = await rejectsWith(l.consume('k'), 'ERR_STORE_UNAVAILABLE')
      assert.match(error.message, /^The store is unavailable: /)
      await rejectsWith(l.reset('k'), 'ERR_STORE_UNAVAILABLE')
      assert.ok(Date.now() - started < 3000)
      await server.restart()
      let decision
      for (let attempt = 0; attempt < 50 && !decision; attempt++) {
        decision = await l.consume('k').catch(async (e) => {
          assert.equal(e.code, 'ERR_STORE_UNAVAILABLE')
          await sleep(100)
        })
      }
      assert.ok(decision, 'no recovery after the restart')
      assert.deepEqual([decision.allowed, decision.remaining], [true, 4]) // a fresh server: nothing kept
    } finally {
      await server.stop()
    }
  })

  test('a key of another type under the prefix is a coded store failure', async () => {
    const keyPrefix = `clash${crypto.randomUUID()}:`
    const l = new RateLimiter({ store: new RedisStore({ url: servers.redis.url, keyPrefix }), limit: 5, window: '1m', name: 'x' })
    servers.redis.cli('SET', `${keyPrefix}rl:x:k`, 'not a list')
    const error = await rejectsWith(l.consume('k'), 'ERR_STORE_FAILED')
    assert.match(error.message, /WRONGTYPE/)
  })
})
