'use strict'

// @RateLimit() / @SkipRateLimit() / RateLimitGuard on real NestJS apps over real HTTP
// (__test__/nest-ratelimit-app/app.ts, compiled at start under --strict with decorator
// metadata): the 429 byte for byte, headers, per-route keys, a custom key, skipping,
// handler over controller, no module at all, the FerroAuthModule store, Redis down.

const { test, describe, before, after } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { tscSync } = require('./helpers/tsc.js')
const { startRedis } = require('./helpers/redis.js')

const { NestFactory, Reflector } = require('@nestjs/core')
const { RateLimiter, RedisStore, MemoryStore, FerroAuthError } = require('ferroauth')
const { RateLimit, RateLimitGuard, SkipRateLimit, RATE_LIMIT_KEY, SKIP_RATE_LIMIT_KEY } = require('ferroauth/nestjs')

const APP_DIR = path.join(__dirname, 'nest-ratelimit-app')
const DIST = path.join(APP_DIR, 'dist') // .gitignored
const SECRET = 'ferroauth-nest-ratelimit-test-secret-0123456789'

const JSON_TYPE = 'application/json; charset=utf-8'
const TOO_MANY = '{"statusCode":429,"message":"ThrottlerException: Too Many Requests"}'
const UNAVAILABLE = '{"statusCode":503,"message":"Rate limit store is unavailable","error":"Service Unavailable"}'
const HEADER_NAMES = ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']
const limits = (limit, remaining, reset) => ({ 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': String(reset) })
const NO_HEADERS = { 'retry-after': null, 'x-ratelimit-limit': null, 'x-ratelimit-remaining': null, 'x-ratelimit-reset': null }

let appModule
before(() => {
  fs.rmSync(DIST, { recursive: true, force: true })
  const compiled = tscSync(APP_DIR)
  assert.equal(compiled.status, 0, `the app did not compile under --strict:\n${compiled.output}`)
  appModule = require(path.join(DIST, 'app.js'))
})

async function start(Module) {
  const app = await NestFactory.create(Module, { logger: false, forceCloseConnections: true })
  app.getHttpAdapter().getInstance().set('trust proxy', true) // req.ip from X-Forwarded-For
  await app.listen(0, '127.0.0.1')
  const base = `http://127.0.0.1:${app.getHttpServer().address().port}`
  const request = async (route, { ip = '203.0.113.9', method = 'GET', body } = {}) => {
    const headers = { 'x-forwarded-for': ip }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const response = await fetch(base + route, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await response.text()
    const seen = Object.fromEntries(HEADER_NAMES.map((name) => [name, response.headers.get(name)]))
    return { status: response.status, text, type: response.headers.get('content-type'), headers: seen }
  }
  return { app, request }
}

describe('@RateLimit() with no ferroauth module (the app-wide MemoryStore)', () => {
  let server
  before(async () => {
    server = await start(appModule.NoModuleApp)
  })
  after(() => server?.app.close())

  test('the controller limit: X-RateLimit-* on each allowed response, then 429 byte for byte with Retry-After', async () => {
    const ip = '203.0.113.1'
    for (let remaining = 2; remaining >= 0; remaining--) {
      const ok = await server.request('/throttled/a', { ip })
      assert.deepEqual(ok, { status: 200, text: '{"route":"a"}', type: JSON_TYPE, headers: { 'retry-after': null, ...limits(3, remaining, 60) } })
    }
    const denied = await server.request('/throttled/a', { ip })
    assert.deepEqual(denied, { status: 429, text: TOO_MANY, type: JSON_TYPE, headers: { 'retry-after': '60', ...limits(3, 0, 60) } })
  })

  test('per route and per client: another handler of the controller and another address count apart', async () => {
    const ip = '203.0.113.2'
    for (let i = 0; i < 3; i++) assert.equal((await server.request('/throttled/a', { ip })).status, 200)
    assert.equal((await server.request('/throttled/a', { ip })).status, 429)
    const b = await server.request('/throttled/b', { ip })
    assert.deepEqual([b.status, b.headers['x-ratelimit-remaining']], [200, '2'])
    assert.equal((await server.request('/throttled/a', { ip: '203.0.113.3' })).status, 200)
  })

  test("the handler's @RateLimit replaces the controller's, counted once per request", async () => {
    const ip = '203.0.113.4'
    const first = await server.request('/throttled/strict', { ip })
    assert.deepEqual([first.status, first.headers], [200, { 'retry-after': null, ...limits(1, 0, 60) }])
    const second = await server.request('/throttled/strict', { ip })
    assert.deepEqual([second.status, second.text, second.headers['retry-after']], [429, TOO_MANY, '60'])
  })

  test('@SkipRateLimit() on a handler and on a controller; a route without @RateLimit is not limited', async () => {
    const ip = '203.0.113.5'
    for (let i = 0; i < 6; i++) {
      const health = await server.request('/throttled/health', { ip })
      assert.deepEqual([health.status, health.headers], [200, NO_HEADERS])
      assert.equal((await server.request('/skipped', { ip })).status, 200)
      assert.deepEqual((await server.request('/open', { ip })).headers, NO_HEADERS)
    }
  })

  test('a custom key from the body: one email from many addresses counts together', async () => {
    const login = (ip, email) => server.request('/throttled/login', { ip, method: 'POST', body: { email } })
    assert.equal((await login('198.51.100.1', 'Ada@Example.com')).status, 201)
    const second = await login('198.51.100.2', 'ada@example.com')
    assert.deepEqual([second.status, second.headers['x-ratelimit-remaining'], second.headers['x-ratelimit-reset']], [201, '0', '900'])
    const denied = await login('198.51.100.3', 'ADA@example.com')
    assert.deepEqual([denied.status, denied.text, denied.headers['retry-after']], [429, TOO_MANY, '900'])
    assert.equal((await login('198.51.100.3', 'bob@example.com')).status, 201)
  })

  test('headers: false: no X-RateLimit-*, still Retry-After on the 429', async () => {
    const ip = '203.0.113.6'
    assert.deepEqual((await server.request('/open/quiet', { ip })).headers, NO_HEADERS)
    const denied = await server.request('/open/quiet', { ip })
    assert.deepEqual([denied.status, denied.text, denied.headers], [429, TOO_MANY, { ...NO_HEADERS, 'retry-after': '3600' }])
  })
})

describe("@RateLimit() with FerroAuthModule's store", () => {
  let redis
  before(async () => {
    redis = await startRedis()
  })
  after(() => redis?.stop())

  for (const factory of ['storeApp', 'asyncStoreApp']) {
    test(`${factory === 'storeApp' ? 'forRoot' : 'forRootAsync'}({ secret, store }): the hits land in that RedisStore, where a RateLimiter sees them`, async () => {
      const store = new RedisStore({ url: redis.url, keyPrefix: `nest${crypto.randomUUID()}:` })
      const server = await start(appModule[factory](store, SECRET))
      try {
        assert.equal((await server.request('/stored', { ip: '192.0.2.1' })).status, 200)
        // The same name, limit and window on the same store: the log the guard wrote.
        const limiter = new RateLimiter({ store, limit: 2, window: '1m', name: 'stored' })
        const seen = await limiter.consume('StoredController.stored:192.0.2.1')
        assert.deepEqual([seen.allowed, seen.remaining], [true, 0])
        const denied = await server.request('/stored', { ip: '192.0.2.1' })
        assert.deepEqual([denied.status, denied.text], [429, TOO_MANY])
        await limiter.reset('StoredController.stored:192.0.2.1')
        assert.equal((await server.request('/stored', { ip: '192.0.2.1' })).status, 200)
      } finally {
        await server.app.close()
      }
    })
  }

  test('Redis down: 503 byte for byte (fail closed); failOpen lets the request through', async () => {
    const doomed = await startRedis()
    const store = new RedisStore({ url: doomed.url, commandTimeout: '300ms', connectTimeout: '200ms' })
    const server = await start(appModule.storeApp(store, SECRET))
    try {
      assert.equal((await server.request('/stored')).status, 200)
      await doomed.kill()
      const closed = await server.request('/stored')
      assert.deepEqual(closed, { status: 503, text: UNAVAILABLE, type: JSON_TYPE, headers: NO_HEADERS })
      const open = await server.request('/stored/lenient')
      assert.deepEqual([open.status, open.text], [200, '{"lenient":true}'])
    } finally {
      await server.app.close()
      await doomed.stop()
    }
  })
})

describe('RateLimitGuard and the decorators, directly', () => {
  /** An execution context of `type` for a handler of a class, as Nest builds them. */
  function contextOf(type, Controller, handler, request = { ip: '192.0.2.7' }) {
    const response = { headers: {}, setHeader(name, value) { this.headers[name] = value } }
    return {
      response,
      getType: () => type,
      getHandler: () => handler,
      getClass: () => Controller,
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
      getArgs: () => [],
    }
  }

  function decorated(...decorators) {
    class Controller {
      handler() {}
    }
    const descriptor = Object.getOwnPropertyDescriptor(Controller.prototype, 'handler')
    for (const decorator of decorators) decorator(Controller.prototype, 'handler', descriptor)
    return Controller
  }

  test("a GraphQL, WebSocket or RPC handler is refused with a clear error: the guard only limits HTTP", async () => {
    const Controller = decorated(RateLimit(1, 60))
    const guard = new RateLimitGuard(undefined, new Reflector())
    for (const type of ['graphql', 'ws', 'rpc']) {
      await assert.rejects(guard.canActivate(contextOf(type, Controller, Controller.prototype.handler)), {
        name: 'FerroAuthError',
        code: 'ERR_INVALID_OPTION',
        message: `RateLimitGuard only supports HTTP handlers, not this '${type}' one: remove @RateLimit() from it, or limit it another way`,
      })
    }
  })

  test('a guard given a store counts there; applied twice to one request it counts once', async () => {
    const Controller = decorated(RateLimit(2, 60, { name: 'direct' }))
    const store = new MemoryStore()
    const guard = new RateLimitGuard({ store }, new Reflector())
    const request = { ip: '192.0.2.8' }
    const context = contextOf('http', Controller, Controller.prototype.handler, request)
    assert.equal(await guard.canActivate(context), true)
    assert.equal(await guard.canActivate(context), true) // e.g. APP_GUARD and @RateLimit's own
    assert.equal(context.response.headers['X-RateLimit-Remaining'], '1')
    const limiter = new RateLimiter({ store, limit: 2, window: 60, name: 'direct' })
    assert.equal((await limiter.consume(`${Controller.name}.handler:192.0.2.8`)).remaining, 0)
  })

  test('metadata keys and bad arguments', () => {
    const Controller = decorated(RateLimit(1, 60), SkipRateLimit())
    assert.equal(typeof Reflect.getMetadata(RATE_LIMIT_KEY, Controller.prototype.handler).limiterFor, 'function')
    assert.equal(Reflect.getMetadata(SKIP_RATE_LIMIT_KEY, Controller.prototype.handler), true)
    assert.throws(() => RateLimit(0, 60), { name: 'FerroAuthError', code: 'ERR_INVALID_OPTION', message: 'limit must be an integer from 1 to 100000, got 0' })
    assert.throws(() => RateLimit(1, 'often'), { name: 'FerroAuthError', code: 'ERR_INVALID_OPTION' })
    assert.throws(() => RateLimit('1', 60), { name: 'TypeError', message: 'options.limit must be a number, got string' })
    assert.throws(() => RateLimit(1, 60, { key: 'ip' }), { name: 'TypeError', message: '@RateLimit() options.key must be a function, got string' })
    assert.throws(() => RateLimit(1, 60, 'fast'), { name: 'TypeError', message: '@RateLimit() options must be an object, got string' })
    assert.throws(() => SkipRateLimit('yes'), { name: 'TypeError', message: 'skip must be a boolean, got string' })
    assert.throws(() => new RateLimitGuard({ store: {} }), { name: 'TypeError', message: 'options.store must be a MemoryStore or a RedisStore, got object' })
    assert.ok(new FerroAuthError('ERR_RATE_LIMIT_KEY_INVALID', 'x') instanceof Error)
  })
})
