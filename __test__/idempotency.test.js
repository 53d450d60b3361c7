'use strict'

// IdempotencyStore and requestFingerprint: one suite of behaviour run against each store
// (memory, one real Redis server, a real three-node Redis Cluster), then what only Redis has:
// the key layout, the server dying mid-run, and an answer lost on the network.

const { test, describe, before, after } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')

const { IdempotencyStore, requestFingerprint, MemoryStore, RedisStore, ErrorCodes } = require('..')
const { startRedis } = require('./helpers/redis.js')
const { storesUnderTest } = require('./helpers/stores.js')
const { rejectsWith } = require('./helpers/rejects.js')
const { startLossyProxy } = require('./helpers/lossy-proxy.js')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const MISMATCH = ['ERR_IDEMPOTENCY_MISMATCH', 'Idempotency key already used with a different payload']
const IN_PROGRESS = ['ERR_IDEMPOTENCY_IN_PROGRESS', 'A request with this idempotency key is still being processed']
const KEY_INVALID = ['ERR_IDEMPOTENCY_KEY_INVALID', 'Idempotency key must be 1 to 1024 bytes of UTF-8']

const { servers, stores } = storesUnderTest()

const RESPONSE = {
  status: 201,
  headers: { 'content-type': 'application/json; charset=utf-8', 'x-multi': ['a', 'b'], etag: 'W/"1"' },
  body: Buffer.from('{"id":1}'),
}

function assertStarted(begun) {
  assert.equal(begun.replay, false)
  assert.match(begun.lease, /^[A-Za-z0-9_-]{24}$/)
  assert.deepEqual(Object.keys(begun), ['replay', 'lease'])
  return begun.lease
}

for (const [kind, makeStore] of Object.entries(stores)) {
  describe(`IdempotencyStore on the ${kind} store`, () => {
    const idem = (options = {}) => new IdempotencyStore({ store: makeStore(), ...options })

    test('first begin starts; complete stores the response; a retry replays it byte for byte', async () => {
      const s = idem()
      const lease = assertStarted(await s.begin('order-1', 'fp-1'))
      const binary = Buffer.from([0, 255, 1, 254, 0x7b])
      assert.equal(await s.complete('order-1', lease, { ...RESPONSE, body: binary }), true)
      const replay = await s.begin('order-1', 'fp-1')
      assert.equal(replay.replay, true)
      assert.deepEqual(Object.keys(replay), ['replay', 'response'])
      assert.equal(replay.response.status, 201)
      assert.deepEqual(replay.response.headers, RESPONSE.headers)
      assert.ok(Buffer.isBuffer(replay.response.body))
      assert.deepEqual(replay.response.body, binary)
      // Replayed again, as often as asked, until ttl.
      assert.deepEqual((await s.begin('order-1', 'fp-1')).response.body, binary)
      // The same lease completing again changes nothing.
      assert.equal(await s.complete('order-1', lease, { status: 500, body: 'other' }), true)
      assert.equal((await s.begin('order-1', 'fp-1')).response.status, 201)
    })

    test('same key, different fingerprint: ERR_IDEMPOTENCY_MISMATCH, before and after completion', async () => {
      const s = idem()
      const lease = assertStarted(await s.begin('k', 'fp-1'))
      await rejectsWith(s.begin('k', 'fp-2'), ...MISMATCH)
      await s.complete('k', lease, { status: 200 })
      await rejectsWith(s.begin('k', 'fp-2'), ...MISMATCH)
      const replay = await s.begin('k', 'fp-1')
      assert.deepEqual(replay.response, { status: 200, headers: {}, body: Buffer.alloc(0) })
    })

    test('same key while the first still runs: ERR_IDEMPOTENCY_IN_PROGRESS; other keys are independent', async () => {
      const s = idem()
      assertStarted(await s.begin('k', 'fp'))
      await rejectsWith(s.begin('k', 'fp'), ...IN_PROGRESS)
      assertStarted(await s.begin('k2', 'fp'))
      // Any text is a key: the store key is its hash.
      assertStarted(await s.begin('{k}:idem:*\n\u0000é😀', 'fp'))
    })

    test('abort releases the key so a retry runs again; only the lease holder can complete or abort', async () => {
      const s = idem()
      const first = assertStarted(await s.begin('k', 'fp'))
      assert.equal(await s.abort('k', 'not-the-lease'), false)
      assert.equal(await s.complete('k', 'not-the-lease', RESPONSE), false)
      await rejectsWith(s.begin('k', 'fp'), ...IN_PROGRESS)
      assert.equal(await s.abort('k', first), true)
      assert.equal(await s.complete('k', first, RESPONSE), false, 'an aborted lease cannot complete')
      const second = assertStarted(await s.begin('k', 'fp'))
      assert.notEqual(second, first)
      assert.equal(await s.complete('k', second, RESPONSE), true)
      assert.equal(await s.abort('k', second), false, 'a completed request is not aborted')
      assert.equal((await s.begin('k', 'fp')).replay, true)
    })

    test('a lease is lost when lockTtl passes: another request takes the key, the late complete is refused', async () => {
      const s = idem({ ttl: 5, lockTtl: 0.2 })
      const late = assertStarted(await s.begin('k', 'fp'))
      await sleep(450)
      const next = assertStarted(await s.begin('k', 'fp'))
      assert.equal(await s.complete('k', late, RESPONSE), false)
      assert.equal(await s.abort('k', late), false)
      assert.equal(await s.complete('k', next, RESPONSE), true)
      assert.equal((await s.begin('k', 'fp')).replay, true)
    })

    test('a stored response lives for ttl after completion, then the key is free', async () => {
      const s = idem({ ttl: 0.3 })
      assert.equal(s.ttl, 0.3)
      assert.equal(s.lockTtl, 0.3, 'lockTtl defaults to ttl')
      const lease = assertStarted(await s.begin('k', 'fp'))
      assert.equal(await s.complete('k', lease, RESPONSE), true)
      assert.equal((await s.begin('k', 'fp')).replay, true)
      await sleep(600)
      assertStarted(await s.begin('k', 'another payload'))
    })

    test('50 concurrent begins of one key: exactly one starts, the others are in progress', async () => {
      const s = idem()
      const results = await Promise.allSettled(Array.from({ length: 50 }, () => s.begin('race', 'fp')))
      const started = results.filter((r) => r.status === 'fulfilled')
      assert.equal(started.length, 1)
      assertStarted(started[0].value)
      for (const r of results.filter((r) => r.status === 'rejected')) {
        assert.equal(r.reason.code, 'ERR_IDEMPOTENCY_IN_PROGRESS')
      }
    })

    test('keys of 1 to 1024 UTF-8 bytes; arguments of the wrong type are TypeErrors', async () => {
      const s = idem()
      await rejectsWith(s.begin('', 'fp'), ...KEY_INVALID)
      await rejectsWith(s.begin('k'.repeat(1025), 'fp'), ...KEY_INVALID)
      await rejectsWith(s.begin('é'.repeat(513), 'fp'), ...KEY_INVALID) // 1026 bytes
      await rejectsWith(s.begin('k'.repeat(100_000), 'fp'), ...KEY_INVALID)
      assertStarted(await s.begin('é'.repeat(512), 'fp'))
      assertStarted(await s.begin('k'.repeat(1024), 'fp'))
      await rejectsWith(s.complete('', 'lease', RESPONSE), ...KEY_INVALID)
      for (const call of [() => s.begin(1, 'fp'), () => s.begin('k', undefined), () => s.abort('k', 5), () => s.complete('k', 'l')]) {
        await assert.rejects(call(), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
      }
      await assert.rejects(s.complete('k', 'l', { status: 99 }), { name: 'TypeError', message: /^response\.status must be an HTTP status code/ })
      await assert.rejects(s.complete('k', 'l', { status: 200, body: 5 }), { name: 'TypeError', message: /^response\.body must be a Buffer/ })
      await assert.rejects(s.complete('k', 'l', { status: 200, headers: [] }), { name: 'TypeError', message: /^response\.headers must be an object/ })
    })
  })
}

describe('IdempotencyStore construction', () => {
  test('defaults: a MemoryStore, ttl 10 minutes, lockTtl = ttl', async () => {
    const s = new IdempotencyStore()
    assert.equal(s.ttl, 600)
    assert.equal(s.lockTtl, 600)
    assertStarted(await s.begin('k', 'fp'))
    const t = new IdempotencyStore({ ttl: '1h', lockTtl: 30 })
    assert.equal(t.ttl, 3600)
    assert.equal(t.lockTtl, 30)
  })

  test('bad options: TypeErrors for types, ERR_INVALID_OPTION for values', () => {
    assert.throws(() => new IdempotencyStore(5), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    assert.throws(() => new IdempotencyStore({ store: {} }), { name: 'TypeError', message: 'options.store must be a MemoryStore or a RedisStore, got object' })
    assert.throws(() => new IdempotencyStore({ ttl: true }), { name: 'TypeError', message: 'options.ttl must be seconds or a duration string, got boolean' })
    assert.throws(() => new IdempotencyStore({ ttl: 0 }), { name: 'FerroAuthError', code: 'ERR_INVALID_OPTION', message: 'ttl must be from 1 millisecond to 365 days' })
    assert.throws(() => new IdempotencyStore({ lockTtl: '400d' }), { code: 'ERR_INVALID_OPTION', message: 'lockTtl must be from 1 millisecond to 365 days' })
    assert.throws(() => new IdempotencyStore({ ttl: 'soon' }), { code: 'ERR_INVALID_OPTION', message: /^ttl: "soon" is not a duration/ })
    assert.deepEqual(
      Object.keys(ErrorCodes).filter((c) => c.startsWith('ERR_IDEMPOTENCY_')),
      ['ERR_IDEMPOTENCY_MISMATCH', 'ERR_IDEMPOTENCY_IN_PROGRESS', 'ERR_IDEMPOTENCY_KEY_INVALID'],
    )
  })
})

describe('requestFingerprint', () => {
  // The format, rebuilt here: SHA-256 over length-prefixed parts (u64 big-endian lengths).
  const part = (text) => {
    const bytes = Buffer.from(text)
    const length = Buffer.alloc(8)
    length.writeBigUInt64BE(BigInt(bytes.length))
    return Buffer.concat([length, bytes])
  }
  const expected = (method, path, kind, body) =>
    crypto.createHash('sha256').update(Buffer.concat([
      part('ferroauth.request-fingerprint.v1'), part(method), part(path), part(kind), ...(body === undefined ? [] : [part(body)]),
    ])).digest('hex')

  test('is SHA-256 over the framed parts, JSON in canonical form', () => {
    assert.equal(
      requestFingerprint({ method: 'post', path: '/orders?x=1', body: { b: [1, { d: null, c: true }], a: 'é' } }),
      expected('POST', '/orders?x=1', 'json', '{"a":"é","b":[1,{"c":true,"d":null}]}'),
    )
    assert.equal(requestFingerprint({ method: 'DELETE', path: '/orders/1' }), expected('DELETE', '/orders/1', 'none'))
    assert.equal(requestFingerprint({ method: 'PUT', path: '/p', body: 'raw text' }), expected('PUT', '/p', 'bytes', 'raw text'))
    assert.equal(requestFingerprint({ method: 'PUT', path: '/p', body: new Uint8Array([1, 2]) }), expected('PUT', '/p', 'bytes', Buffer.from([1, 2])))
  })

  test('key order does not matter; values, kinds, methods and paths do', () => {
    const fp = (body, method = 'POST', path = '/p') => requestFingerprint({ method, path, body })
    assert.equal(fp({ a: 1, b: { c: 2, d: [3, 4] } }), fp({ b: { d: [3, 4], c: 2 }, a: 1 }))
    assert.equal(fp({ n: 1.0, m: undefined }), fp({ n: 1 }))
    assert.equal(fp({ when: new Date(0) }), fp({ when: '1970-01-01T00:00:00.000Z' }))
    const distinct = [
      fp({}), fp('{}'), fp(undefined), fp(Buffer.from('')), fp([]), fp(null), fp(0), fp(false),
      fp({ a: 1 }), fp({ a: '1' }), fp([1, 2]), fp([2, 1]), fp({ a: 1 }, 'PUT'), fp({ a: 1 }, 'POST', '/p?'),
    ]
    assert.equal(new Set(distinct).size, distinct.length)
    assert.equal(fp('abc'), fp(Buffer.from('abc')), 'a string is its UTF-8 bytes')
    assert.match(fp({}), /^[0-9a-f]{64}$/)
  })

  test('wrong types are TypeErrors', () => {
    assert.throws(() => requestFingerprint(), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    assert.throws(() => requestFingerprint({ path: '/' }), { name: 'TypeError', message: 'request.method must be a non-empty string, got undefined' })
    assert.throws(() => requestFingerprint({ method: 'GET', path: 5 }), { name: 'TypeError', message: 'request.path must be a string, got number' })
    assert.throws(() => requestFingerprint({ method: 'GET', path: '/', body: () => 1 }), { name: 'TypeError', message: 'request.body must be JSON data, a string or a Buffer, got function' })
    assert.throws(() => requestFingerprint({ method: 'GET', path: '/', body: { n: 1n } }), { name: 'TypeError' })
  })
})

describe('Redis specifics', () => {
  test('one key per record: <prefix>idem:<SHA-256 of the key>, expiring after lockTtl, then ttl', async () => {
    const keyPrefix = `layout${crypto.randomUUID()}:`
    const s = new IdempotencyStore({ store: new RedisStore({ url: servers.redis.url, keyPrefix }), ttl: '1h', lockTtl: 60 })
    const key = 'user-1|secret-order-key'
    const lease = assertStarted(await s.begin(key, 'fp'))
    const stored = `${keyPrefix}idem:${crypto.createHash('sha256').update(key).digest('hex')}`
    assert.deepEqual(servers.redis.cli('--scan', '--pattern', `${keyPrefix}*`).trim().split('\n'), [stored])
    const pending = Number(servers.redis.cli('PTTL', stored).trim())
    assert.ok(pending > 55_000 && pending <= 60_000, `PTTL ${pending}`)
    await s.complete(key, lease, RESPONSE)
    const done = Number(servers.redis.cli('PTTL', stored).trim())
    assert.ok(done > 3_500_000 && done <= 3_600_000, `PTTL ${done}`)
    assert.ok(!servers.redis.cli('HGETALL', stored).includes('secret-order-key'))
  })

  test('Redis down: calls reject with ERR_STORE_UNAVAILABLE, then recover', async () => {
    const server = await startRedis()
    try {
      const store = new RedisStore({ url: server.url, commandTimeout: '300ms', connectTimeout: '200ms' })
      const s = new IdempotencyStore({ store })
      const lease = assertStarted(await s.begin('k', 'fp'))
      await server.kill()
      const results = await Promise.allSettled([s.begin('k2', 'fp'), s.complete('k', lease, RESPONSE), s.abort('k', lease)])
      for (const r of results) {
        assert.equal(r.status, 'rejected')
        assert.equal(r.reason.code, 'ERR_STORE_UNAVAILABLE', r.reason.message)
      }
      await server.restart()
      let begun
      for (let attempt = 0; attempt < 50 && !begun; attempt++) {
        begun = await s.begin('k3', 'fp').catch(async (e) => {
          assert.equal(e.code, 'ERR_STORE_UNAVAILABLE')
          await sleep(100)
        })
      }
      assert.ok(begun, 'no recovery after the restart')
      assert.equal(await s.complete('k3', assertStarted(begun), RESPONSE), true)
    } finally {
      await server.stop()
    }
  })

  test('an answer lost with its connection: the re-sent begin is still its own start, exactly once', async () => {
    const proxy = await startLossyProxy({ host: '127.0.0.1', port: servers.redis.port })
    try {
      const s = new IdempotencyStore({ store: new RedisStore({ url: proxy.url, keyPrefix: `lossy${crypto.randomUUID()}:` }) })
      assertStarted(await s.begin('warm-up', 'fp')) // connected, script loaded
      // The server records the start, the answer is lost, the call is sent again with the
      // same lease: without begin being idempotent per lease it would answer "in progress".
      proxy.loseNextAnswer()
      const lease = assertStarted(await s.begin('k', 'fp'))
      assert.equal(proxy.lost, 1)
      await rejectsWith(s.begin('k', 'fp'), ...IN_PROGRESS)
      proxy.loseNextAnswer()
      assert.equal(await s.complete('k', lease, RESPONSE), true)
      assert.equal(proxy.lost, 2)
      assert.equal((await s.begin('k', 'fp')).replay, true)

      const other = assertStarted(await s.begin('k2', 'fp'))
      proxy.loseNextAnswer()
      assert.equal(await s.abort('k2', other), true)
      assert.equal(proxy.lost, 3)
      assertStarted(await s.begin('k2', 'fp'))
    } finally {
      await proxy.stop()
    }
  })
})
