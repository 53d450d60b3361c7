'use strict'

// ferroauth/express idempotency() in real Express 4 and Express 5 apps over real HTTP:
// side effects counted in the handlers, answers compared byte for byte.

const { test, describe, before, after } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')

const { createAuthMiddleware, idempotency } = require('ferroauth/express')
const { TokenSigner, MemoryStore, RedisStore } = require('ferroauth')
const { startRedis } = require('./helpers/redis.js')
const { send, replayable, sendWithKey, assertJsonAnswer } = require('./helpers/http-request.js')

const SECRET = 'ferroauth-idempotency-test-secret-0123456789abcdef'
const signer = new TokenSigner({ secret: SECRET })
const ALICE = signer.sign({ sub: 'alice' })
const BOB = signer.sign({ sub: 'bob' })

const MISMATCH = '{"statusCode":409,"message":"Idempotency key already used with a different payload","error":"Conflict"}'
const IN_PROGRESS = '{"statusCode":409,"message":"A request with this idempotency key is still being processed","error":"Conflict"}'
const UNAVAILABLE = '{"statusCode":503,"message":"Idempotency store is unavailable","error":"Service Unavailable"}'
const badRequest = (message) => JSON.stringify({ statusCode: 400, message, error: 'Bad Request' })

const EXPRESS_VERSIONS = [
  ['Express 4', require('express4')],
  ['Express 5', require('express')],
]

function listen(app) {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => {
      resolve({
        base: `http://127.0.0.1:${server.address().port}`,
        close: () => new Promise((done) => {
          server.close(done)
          server.closeAllConnections()
        }),
      })
    })
  })
}

/** An app whose handlers count their runs; `gate` holds /slow until released. */
function orderApp(express, middlewareOptions, { parseBody = true } = {}) {
  const app = express()
  const runs = { orders: 0, fail: 0, throw: 0, slow: 0, stream: 0, busy: 0, teapot: 0 }
  let release
  const gate = { wait: new Promise((resolve) => (release = resolve)), open: () => release() }
  if (parseBody) app.use(express.json())
  app.use(createAuthMiddleware({ secret: SECRET, credentialsRequired: false }))
  app.use(idempotency(middlewareOptions))
  app.post('/orders', (req, res) => {
    const id = ++runs.orders
    res.cookie?.('session', 'abc')
    res.status(201).set('X-Order-Id', String(id)).set('X-Multi', ['one', 'two']).json({ id, user: req.user?.userId ?? null, item: req.body.item })
  })
  app.put('/orders/:id', (req, res) => {
    runs.orders++
    res.json({ updated: req.params.id })
  })
  app.get('/orders', (req, res) => res.json({ runs: ++runs.orders }))
  app.post('/fail', (req, res) => res.status(500 + (runs.fail++ % 2) * 3).json({ attempt: runs.fail }))
  app.post('/busy', (req, res) => res.status(429).json({ attempt: ++runs.busy }))
  app.post('/teapot', (req, res) => res.status(418).type('text/plain').send(`teapot ${++runs.teapot}`))
  app.post('/throw', () => {
    runs.throw++
    throw new Error('boom')
  })
  app.post('/slow', async (req, res) => {
    runs.slow++
    await gate.wait
    res.json({ slow: runs.slow })
  })
  app.post('/stream', (req, res) => {
    runs.stream++
    res.writeHead(202, { 'Content-Type': 'text/plain; charset=latin1', 'X-Stream': 'yes' })
    res.write('part one, ')
    res.write(Buffer.from([0xe9]))
    res.end(' end', 'latin1')
  })
  app.use((error, req, res, next) => {
    res.status(500).json({ handled: true, code: error.code ?? null, message: error.message })
  })
  return { app, runs, gate }
}

const post = sendWithKey

for (const [name, express] of EXPRESS_VERSIONS) {
  describe(`${name}: idempotency()`, () => {
    let server, runs, gate

    before(async () => {
      ;({ app: server, runs, gate } = orderApp(express, { store: new MemoryStore() }))
      server = await listen(server)
    })
    after(() => server?.close())

    test('20 concurrent identical requests: the handler runs once; the others are in progress or replays', async () => {
      const before = runs.orders
      const key = crypto.randomUUID()
      const responses = await Promise.all(Array.from({ length: 20 }, () => post(server.base, '/orders', key, { item: 'book' }, { token: ALICE })))
      assert.equal(runs.orders - before, 1)
      const original = responses.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined)
      assert.equal(original.length, 1)
      for (const response of responses) {
        if (response.status === 409) assertJsonAnswer(response, 409, IN_PROGRESS)
        else assert.equal(response.text, original[0].text)
      }
      const retry = await post(server.base, '/orders', key, { item: 'book' }, { token: ALICE })
      assert.equal(retry.headers['idempotent-replayed'], 'true')
      assert.equal(runs.orders - before, 1)
    })

    test('a retry replays status, headers and body byte for byte, with Idempotent-Replayed: true and no cookie', async () => {
      const key = crypto.randomUUID()
      const first = await post(server.base, '/orders', key, { item: 'pen', extra: [1, 2] }, { token: ALICE })
      assert.equal(first.status, 201)
      assert.equal(first.headers['idempotent-replayed'], undefined)
      assert.ok(first.headers['set-cookie'], 'the handler set a cookie')
      const before = runs.orders
      // Same payload with its keys in another order: the same request.
      const second = await post(server.base, '/orders', key, { extra: [1, 2], item: 'pen' }, { token: ALICE })
      assert.equal(runs.orders, before)
      assert.equal(second.status, 201)
      assert.deepEqual(second.bytes, first.bytes)
      assert.deepEqual(replayable(second), replayable(first))
      assert.equal(second.headers['idempotent-replayed'], 'true')
      assert.equal(second.headers['set-cookie'], undefined)
      assert.deepEqual(second.pairs.filter(([n]) => n === 'x-multi'), [['x-multi', 'one'], ['x-multi', 'two']])
    })

    test('a streamed answer (writeHead, write, end) is stored and replayed exactly', async () => {
      const key = crypto.randomUUID()
      const first = await post(server.base, '/stream', key, {})
      const second = await post(server.base, '/stream', key, {})
      assert.equal(runs.stream, 1)
      assert.equal(first.status, 202)
      assert.deepEqual(first.bytes, Buffer.from('part one, \xe9 end', 'latin1'))
      assert.equal(second.status, 202)
      assert.deepEqual(second.bytes, first.bytes)
      assert.equal(second.headers['x-stream'], 'yes')
      assert.equal(second.headers['content-type'], 'text/plain; charset=latin1')
    })

    test('same key, another payload, path or method: 409 mismatch, byte for byte', async () => {
      const key = crypto.randomUUID()
      assert.equal((await post(server.base, '/orders', key, { item: 'a' })).status, 201)
      const before = runs.orders
      assertJsonAnswer(await post(server.base, '/orders', key, { item: 'b' }), 409, MISMATCH)
      assertJsonAnswer(await post(server.base, '/orders?x=1', key, { item: 'a' }), 409, MISMATCH)
      assertJsonAnswer(await post(server.base, '/orders/1', key, { item: 'a' }, { method: 'PUT' }), 409, MISMATCH)
      assert.equal(runs.orders, before)
    })

    test('same key while the first request still runs: 409 in progress, byte for byte', async () => {
      const key = crypto.randomUUID()
      const first = post(server.base, '/slow', key, { n: 1 })
      while (runs.slow === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      assertJsonAnswer(await post(server.base, '/slow', key, { n: 1 }), 409, IN_PROGRESS)
      gate.open()
      assert.equal((await first).text, '{"slow":1}')
      assert.equal((await post(server.base, '/slow', key, { n: 1 })).headers['idempotent-replayed'], 'true')
      assert.equal(runs.slow, 1)
    })

    test('5xx, 429 and a thrown error are not stored: a retry runs again; other 4xx are', async () => {
      const key = crypto.randomUUID()
      const first = await post(server.base, '/fail', key, {})
      const second = await post(server.base, '/fail', key, {})
      assert.deepEqual([first.status, second.status], [500, 503])
      assert.equal(runs.fail, 2)
      const busyKey = crypto.randomUUID()
      await post(server.base, '/busy', busyKey, {})
      assert.equal((await post(server.base, '/busy', busyKey, {})).text, '{"attempt":2}')
      const throwKey = crypto.randomUUID()
      assert.equal((await post(server.base, '/throw', throwKey, {})).text, '{"handled":true,"code":null,"message":"boom"}')
      await post(server.base, '/throw', throwKey, {})
      assert.equal(runs.throw, 2)
      const teapotKey = crypto.randomUUID()
      await post(server.base, '/teapot', teapotKey, {})
      const replayed = await post(server.base, '/teapot', teapotKey, {})
      assert.deepEqual([replayed.status, replayed.text, replayed.headers['idempotent-replayed']], [418, 'teapot 1', 'true'])
    })

    test("scope: one user's key never replays another user's response", async () => {
      const key = crypto.randomUUID()
      const before = runs.orders
      const alice = await post(server.base, '/orders', key, { item: 'x' }, { token: ALICE })
      const bob = await post(server.base, '/orders', key, { item: 'x' }, { token: BOB })
      const anonymous = await post(server.base, '/orders', key, { item: 'x' })
      assert.equal(runs.orders - before, 3)
      assert.equal(JSON.parse(alice.text).user, 'alice')
      assert.equal(JSON.parse(bob.text).user, 'bob')
      assert.equal(JSON.parse(anonymous.text).user, null)
      assert.equal(bob.headers['idempotent-replayed'], undefined)
      const aliceAgain = await post(server.base, '/orders', key, { item: 'x' }, { token: ALICE })
      assert.deepEqual(aliceAgain.bytes, alice.bytes)
      assert.equal(runs.orders - before, 3)
    })

    test('no key, or a method not listed: the request passes through and runs every time', async () => {
      const before = runs.orders
      await post(server.base, '/orders', undefined, { item: 'x' })
      await post(server.base, '/orders', undefined, { item: 'x' })
      const key = crypto.randomUUID()
      await send(server.base, 'GET', '/orders', { headers: { 'idempotency-key': key } })
      const get = await send(server.base, 'GET', '/orders', { headers: { 'idempotency-key': key } })
      assert.equal(runs.orders - before, 4)
      assert.equal(get.headers['idempotent-replayed'], undefined)
    })

    test('a key header that is empty, longer than 255 characters or not printable ASCII: 400', async () => {
      const before = runs.orders
      assertJsonAnswer(await post(server.base, '/orders', '', {}), 400, badRequest('Idempotency-Key header must not be empty'))
      assertJsonAnswer(await post(server.base, '/orders', 'k'.repeat(256), {}), 400, badRequest('Idempotency-Key header must be at most 255 characters'))
      assertJsonAnswer(await post(server.base, '/orders', 'caf\xe9', {}), 400, badRequest('Idempotency-Key header must contain only printable ASCII characters'))
      assert.equal(runs.orders, before)
      assert.equal((await post(server.base, '/orders', 'k'.repeat(255), { item: 'x' })).status, 201)
    })

    test('required: true answers 400 without the header; header and methods are options', async () => {
      const { app, runs: counted } = orderApp(express, { required: true, header: 'X-Request-Key', methods: ['post'] })
      const strict = await listen(app)
      try {
        assertJsonAnswer(await post(strict.base, '/orders', undefined, { item: 'x' }), 400, badRequest('X-Request-Key header is required'))
        assert.equal(counted.orders, 0)
        // PUT is not listed: no key needed.
        assert.equal((await post(strict.base, '/orders/1', undefined, {}, { method: 'PUT' })).status, 200)
        const key = crypto.randomUUID()
        await post(strict.base, '/orders', undefined, { item: 'x' }, { headers: { 'x-request-key': key } })
        const replay = await post(strict.base, '/orders', undefined, { item: 'x' }, { headers: { 'x-request-key': key } })
        assert.equal(replay.headers['idempotent-replayed'], 'true')
        assert.equal(counted.orders, 2)
      } finally {
        await strict.close()
      }
    })

    test('a body with no parser mounted is a clear error, not a fingerprint without the payload', async () => {
      const { app, runs: counted } = orderApp(express, {}, { parseBody: false })
      const bare = await listen(app)
      try {
        const response = await post(bare.base, '/orders', crypto.randomUUID(), { item: 'x' })
        assert.equal(response.status, 500)
        const error = JSON.parse(response.text)
        assert.equal(error.code, 'ERR_INVALID_OPTION')
        assert.equal(
          error.message,
          'idempotency: the request has a body (application/json) but req.body is undefined. Mount a body parser that ' +
            'handles it, e.g. app.use(express.json()), before the idempotency middleware, so that the fingerprint covers the payload',
        )
        assert.equal(counted.orders, 0)
      } finally {
        await bare.close()
      }
    })
  })
}

describe('idempotency() on Redis', () => {
  let redis
  before(async () => {
    redis = await startRedis()
  })
  after(() => redis?.stop())

  test('replays across two app instances sharing one Redis; Redis down at begin answers 503', async () => {
    const keyPrefix = `http${crypto.randomUUID()}:`
    const store = () => new RedisStore({ url: redis.url, keyPrefix, commandTimeout: '300ms', connectTimeout: '200ms' })
    const one = orderApp(require('express'), { store: store() })
    const two = orderApp(require('express4'), { store: store() })
    const a = await listen(one.app)
    const b = await listen(two.app)
    try {
      const key = crypto.randomUUID()
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => post(i % 2 ? a.base : b.base, '/orders', key, { item: 'x' }, { token: ALICE })))
      assert.equal(one.runs.orders + two.runs.orders, 1)
      assert.ok(results.every((r) => r.status === 201 || r.text === IN_PROGRESS))
      const replay = await post(b.base, '/orders', key, { item: 'x' }, { token: ALICE })
      assert.equal(replay.headers['idempotent-replayed'], 'true')

      await redis.kill()
      const before = one.runs.orders
      assertJsonAnswer(await post(a.base, '/orders', crypto.randomUUID(), { item: 'x' }), 503, UNAVAILABLE)
      assert.equal(one.runs.orders, before)
      // Without a key, nothing asks the store.
      assert.equal((await post(a.base, '/orders', undefined, { item: 'x' })).status, 201)
    } finally {
      await a.close()
      await b.close()
    }
  })
})

describe('API surface', () => {
  test('bad options are TypeErrors at creation', () => {
    const typeError = (options, message) => assert.throws(() => idempotency(options), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message })
    typeError(5, 'options must be an object, got number')
    typeError({ methods: 'POST' }, 'options.methods must be an array of HTTP methods, got string')
    typeError({ header: 'Bad Header' }, 'options.header must be a header name, got string')
    typeError({ required: 'yes' }, 'options.required must be a boolean, got string')
    typeError({ scope: 'user' }, 'options.scope must be a function, got string')
    typeError({ store: {} }, 'options.store must be a MemoryStore or a RedisStore, got object')
    assert.throws(() => idempotency({ ttl: 0 }), { code: 'ERR_INVALID_OPTION' })
    assert.equal(idempotency().length, 3)
  })
})
