'use strict'

// IdempotencyInterceptor in real NestJS apps (__test__/nest-idempotency-app/app.ts, compiled at
// start under --strict, so compiling it is also the type test) over real HTTP: handler runs
// counted, answers compared byte for byte, and the app's logger must stay silent.

const { test, describe, before, after } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { tscSync } = require('./helpers/tsc.js')
const { replayable, sendWithKey, assertJsonAnswer } = require('./helpers/http-request.js')
const { startRedis } = require('./helpers/redis.js')

const { NestFactory } = require('@nestjs/core')
const { TokenSigner, MemoryStore, RedisStore } = require('ferroauth')
const { IdempotencyInterceptor } = require('ferroauth/nestjs')

const APP_DIR = path.join(__dirname, 'nest-idempotency-app')
const DIST = path.join(APP_DIR, 'dist') // .gitignored

const MISMATCH = '{"statusCode":409,"message":"Idempotency key already used with a different payload","error":"Conflict"}'
const IN_PROGRESS = '{"statusCode":409,"message":"A request with this idempotency key is still being processed","error":"Conflict"}'
const UNAVAILABLE = '{"statusCode":503,"message":"Idempotency store is unavailable","error":"Service Unavailable"}'

let app // the compiled module
let signer

/** A logger that records what Nest reports above 'log'. */
function recordingLogger() {
  const reports = []
  const record = (level) => (...args) => reports.push(`${level}: ${args.map(String).join(' ')}`)
  return { reports, logger: { log() {}, verbose() {}, debug() {}, warn: record('warn'), error: record('error'), fatal: record('fatal') } }
}

async function start(Module) {
  const { reports, logger } = recordingLogger()
  const nest = await NestFactory.create(Module, { logger, forceCloseConnections: true })
  await nest.listen(0, '127.0.0.1')
  return { nest, reports, base: `http://127.0.0.1:${nest.getHttpServer().address().port}` }
}

const call = sendWithKey

before(() => {
  fs.rmSync(DIST, { recursive: true, force: true })
  const compiled = tscSync(APP_DIR)
  assert.equal(compiled.status, 0, `the app did not compile under --strict:\n${compiled.output}`)
  app = require(path.join(DIST, 'app.js'))
  signer = new TokenSigner({ secret: app.SECRET })
})

describe('IdempotencyInterceptor through DI, with FerroAuthModule.forRoot({ store, idempotency })', () => {
  let server
  const runs = () => ({ ...app.runs })

  before(async () => {
    server = await start(app.buildAppModule(new MemoryStore()))
  })
  after(async () => {
    await server?.nest.close()
    assert.deepEqual(server?.reports, [], 'Nest logged warnings or errors')
  })

  test('20 concurrent identical requests: the handler runs once; the others are in progress or replays', async () => {
    const before = app.runs.orders ?? 0
    const key = crypto.randomUUID()
    const token = signer.sign({ sub: 'alice' })
    const responses = await Promise.all(Array.from({ length: 20 }, () => call(server.base, '/orders', key, { item: 'book' }, { token })))
    assert.equal(app.runs.orders - before, 1)
    const originals = responses.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined)
    assert.equal(originals.length, 1)
    assert.equal(originals[0].text, JSON.stringify({ id: app.runs.orders, item: 'book', user: 'alice' }))
    for (const r of responses) {
      if (r.status === 409) assertJsonAnswer(r, 409, IN_PROGRESS)
      else assert.deepEqual(r.bytes, originals[0].bytes)
    }
  })

  test('replays status, headers and body byte for byte: @HttpCode(202) with a string, @HttpCode(201), a 4xx exception', async () => {
    for (const route of ['/accepted', '/created', '/invalid', '/orders']) {
      const key = crypto.randomUUID()
      const before = runs()
      const first = await call(server.base, route, key, { item: 'x', n: [1, 2] })
      const second = await call(server.base, route, key, { n: [1, 2], item: 'x' })
      assert.deepEqual(runs(), { ...before, [route.slice(1)]: (before[route.slice(1)] ?? 0) + 1 }, route)
      assert.equal(second.status, first.status, route)
      assert.deepEqual(second.bytes, first.bytes, route)
      assert.deepEqual(replayable(second), replayable(first), route)
      assert.equal(second.headers['idempotent-replayed'], 'true', route)
    }
    const key = crypto.randomUUID()
    const accepted = await call(server.base, '/accepted', key, {})
    assert.deepEqual([accepted.status, accepted.headers['x-queue']], [202, 'main'])
    assert.match(accepted.text, /^accepted \d+$/)
    const invalid = await call(server.base, '/invalid', crypto.randomUUID(), {})
    assert.equal(invalid.status, 400)
    assert.match(invalid.text, /^\{"message":"invalid \d+","error":"Bad Request","statusCode":400\}$/)
  })

  test('409 mismatch and in progress, byte for byte', async () => {
    const key = crypto.randomUUID()
    await call(server.base, '/orders', key, { item: 'a' })
    assertJsonAnswer(await call(server.base, '/orders', key, { item: 'b' }), 409, MISMATCH)
    assertJsonAnswer(await call(server.base, '/orders', key, { item: 'a' }, { method: 'PUT' }), 409, MISMATCH)

    app.closeGate()
    const slowKey = crypto.randomUUID()
    const first = call(server.base, '/slow', slowKey, {})
    const before = app.runs.slow ?? 0
    while ((app.runs.slow ?? 0) === before) await new Promise((resolve) => setTimeout(resolve, 5))
    assertJsonAnswer(await call(server.base, '/slow', slowKey, {}), 409, IN_PROGRESS)
    app.gate.open()
    assert.equal((await first).status, 201)
    assert.equal((await call(server.base, '/slow', slowKey, {})).headers['idempotent-replayed'], 'true')
    assert.equal(app.runs.slow, before + 1)
  })

  test('a 500 is not stored: a retry runs the handler again', async () => {
    const key = crypto.randomUUID()
    const before = app.runs.fail ?? 0
    const first = await call(server.base, '/fail', key, {})
    const second = await call(server.base, '/fail', key, {})
    assert.deepEqual([first.status, second.status], [500, 500])
    assert.equal(app.runs.fail, before + 2)
    assert.equal(second.headers['idempotent-replayed'], undefined)
    // Nest logs unexpected errors itself; those are the handler's, not the interceptor's.
    assert.equal(server.reports.length, 2)
    assert.ok(server.reports.every((line) => /^error: .*failure \d+/s.test(line)), server.reports.join('\n'))
    server.reports.length = 0
  })

  test("scope: the guard's user; one user's key never replays another user's response", async () => {
    const key = crypto.randomUUID()
    const before = app.runs.orders
    const alice = await call(server.base, '/orders', key, { item: 'x' }, { token: signer.sign({ sub: 'alice' }) })
    const bob = await call(server.base, '/orders', key, { item: 'x' }, { token: signer.sign({ sub: 'bob' }) })
    assert.equal(app.runs.orders - before, 2)
    assert.equal(JSON.parse(alice.text).user, 'alice')
    assert.equal(JSON.parse(bob.text).user, 'bob')
    const again = await call(server.base, '/orders', key, { item: 'x' }, { token: signer.sign({ sub: 'bob' }) })
    assert.deepEqual(again.bytes, bob.bytes)
  })

  test('new IdempotencyInterceptor(options): required header under its own name', async () => {
    const before = app.runs.strict ?? 0
    assertJsonAnswer(await call(server.base, '/strict', undefined, {}), 400, '{"statusCode":400,"message":"X-Request-Key header is required","error":"Bad Request"}')
    const key = crypto.randomUUID()
    const first = await call(server.base, '/strict', undefined, {}, { headers: { 'x-request-key': key } })
    const second = await call(server.base, '/strict', undefined, {}, { headers: { 'x-request-key': key } })
    assert.equal(app.runs.strict, before + 1)
    assert.deepEqual(second.bytes, first.bytes)
    assertJsonAnswer(await call(server.base, '/strict', undefined, {}, { headers: { 'x-request-key': 'k'.repeat(256) } }), 400,
      '{"statusCode":400,"message":"X-Request-Key header must be at most 255 characters","error":"Bad Request"}')
  })
})

describe('IdempotencyInterceptor in an app with a global exception filter', () => {
  let server
  before(async () => {
    server = await start(app.buildFilteredAppModule(new MemoryStore()))
  })
  after(async () => {
    await server?.nest.close()
    assert.deepEqual(server?.reports, [], 'Nest logged warnings or errors')
  })

  test("the filter's answer is stored and replayed exactly; replays raise nothing the filter sees", async () => {
    const key = crypto.randomUUID()
    const before = app.runs.invalid
    const first = await call(server.base, '/invalid', key, {})
    assert.equal(first.status, 400)
    assert.equal(first.headers['x-filtered'], 'yes')
    assert.match(first.text, /^\{"ok":false,"status":400,"detail":"invalid \d+"\}$/)
    const second = await call(server.base, '/invalid', key, {})
    assert.equal(app.runs.invalid, before + 1)
    assert.deepEqual(second.bytes, first.bytes)
    assert.deepEqual(replayable(second), replayable(first))

    const created = crypto.randomUUID()
    const one = await call(server.base, '/accepted', created, {})
    const two = await call(server.base, '/accepted', created, {})
    assert.deepEqual([two.status, two.text, two.headers['idempotent-replayed']], [202, one.text, 'true'])
    // Conflicts are HttpExceptions: the app's filter shapes them.
    const conflict = await call(server.base, '/accepted', created, { other: true })
    assert.equal(conflict.status, 409)
    assert.equal(conflict.text, '{"ok":false,"status":409,"detail":"Idempotency key already used with a different payload"}')
  })
})

describe('IdempotencyInterceptor on Redis', () => {
  let redis, server
  before(async () => {
    redis = await startRedis()
    server = await start(app.buildAppModule(new RedisStore({ url: redis.url, commandTimeout: '300ms', connectTimeout: '200ms' })))
  })
  after(async () => {
    await server?.nest.close()
    await redis?.stop()
  })

  test('replays from Redis; Redis down at begin answers 503 and the handler does not run', async () => {
    const key = crypto.randomUUID()
    const before = app.runs.orders
    const responses = await Promise.all(Array.from({ length: 20 }, () => call(server.base, '/orders', key, { item: 'r' })))
    assert.equal(app.runs.orders, before + 1)
    assert.ok(responses.every((r) => r.status === 201 || r.text === IN_PROGRESS))
    assert.equal((await call(server.base, '/orders', key, { item: 'r' })).headers['idempotent-replayed'], 'true')
    await redis.kill()
    assertJsonAnswer(await call(server.base, '/orders', crypto.randomUUID(), { item: 'r' }), 503, UNAVAILABLE)
    assert.equal(app.runs.orders, before + 1)
    assert.deepEqual(server.reports, [])
  })
})

describe('IdempotencyInterceptor outside the Express platform', () => {
  test('a Fastify reply is refused with a clear error', async () => {
    const interceptor = new IdempotencyInterceptor()
    const context = {
      getType: () => 'http',
      switchToHttp: () => ({ getRequest: () => ({ method: 'POST', headers: {} }), getResponse: () => ({ raw: {}, header() {} }) }),
    }
    await assert.rejects(interceptor.intercept(context, { handle: () => null }), {
      name: 'FerroAuthError',
      code: 'ERR_INVALID_OPTION',
      message: 'IdempotencyInterceptor supports the Express platform (@nestjs/platform-express) only; the Fastify platform is not supported yet',
    })
    // Other context types pass straight to the handler.
    const handled = {}
    assert.equal(await interceptor.intercept({ getType: () => 'rpc' }, { handle: () => handled }), handled)
  })
})
