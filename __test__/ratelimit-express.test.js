'use strict'

// ferroauth/express rateLimit() in real Express 4 and Express 5 apps over real HTTP on
// 127.0.0.1: the 429 and 503 answers byte for byte (status, body, Content-Type, Retry-After,
// X-RateLimit-*), keys, skip, and a Redis that dies under it (fail closed, or open).

const { test, describe, before, after } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const http = require('node:http')

const { rateLimit } = require('ferroauth/express')
const { RateLimiter, MemoryStore, RedisStore } = require('ferroauth')
const { startRedis } = require('./helpers/redis.js')

const EXPRESS_VERSIONS = [
  ['Express 4', require('express4')],
  ['Express 5', require('express')],
]

const JSON_TYPE = 'application/json; charset=utf-8'
const TOO_MANY = '{"statusCode":429,"message":"ThrottlerException: Too Many Requests"}'
const UNAVAILABLE = '{"statusCode":503,"message":"Rate limit store is unavailable","error":"Service Unavailable"}'
const HEADER_NAMES = ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']

function listen(handler) {
  return new Promise((resolve, reject) => {
    const server = http.createServer(handler)
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
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

/** status, body text, Content-Type and the rate-limit headers (null when absent). */
async function request(base, route, { method = 'GET', headers = {}, body } = {}) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  const seen = Object.fromEntries(HEADER_NAMES.map((name) => [name, response.headers.get(name)]))
  return { status: response.status, text, type: response.headers.get('content-type'), headers: seen }
}

const limits = (limit, remaining, reset) => ({ 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': String(reset) })
const from = (ip) => ({ 'x-forwarded-for': ip })

const errorHandler = (error, req, res, next) => {
  res.status(500).json({ handledByExpress: true, code: error.code, message: error.message })
}

let redis
before(async () => {
  redis = await startRedis()
})
after(async () => {
  await redis?.stop()
})

for (const [version, express] of EXPRESS_VERSIONS) {
  describe(`rateLimit() on ${version}`, () => {
    let server
    const store = new MemoryStore()
    let calls = 0
    before(async () => {
      const app = express()
      app.set('trust proxy', true) // req.ip from X-Forwarded-For: one test client plays many
      app.use(express.json())
      app.get('/limited', rateLimit({ limit: 2, window: '1m', store }), (req, res) => res.json({ ok: true }))
      app.get('/quiet', rateLimit({ limit: 1, window: '1m', store, headers: false }), (req, res) => res.json({ ok: true }))
      // Two routes, same settings: a name each keeps their counts apart.
      app.get('/a', rateLimit({ limit: 1, window: '1h', store, name: 'route-a' }), (req, res) => res.json({ route: 'a' }))
      app.get('/b', rateLimit({ limit: 1, window: '1h', store, name: 'route-b' }), (req, res) => res.json({ route: 'b' }))
      app.post(
        '/login',
        rateLimit({
          limit: 2,
          window: '15m',
          store,
          name: 'login',
          key: async (req) => `login:${String(req.body.email).toLowerCase()}`,
          skip: (req) => req.get('x-internal') === 'yes',
        }),
        (req, res) => {
          calls++
          res.json({ loggedIn: req.body.email })
        },
      )
      app.get('/bad-key', rateLimit({ limit: 5, window: '1m', store, key: () => '' }), (req, res) => res.json({ ok: true }))
      app.get('/throwing-key', rateLimit({ limit: 5, window: '1m', store, key: () => { throw new Error('no key here') } }), (req, res) => res.json({ ok: true }))
      app.use(errorHandler)
      server = await listen(app)
    })
    after(() => server?.close())

    test('allowed responses carry X-RateLimit-Limit / Remaining / Reset; the third gets 429 byte for byte with Retry-After', async () => {
      const ip = from('203.0.113.1')
      const first = await request(server.base, '/limited', { headers: ip })
      assert.deepEqual(first, { status: 200, text: '{"ok":true}', type: JSON_TYPE, headers: { 'retry-after': null, ...limits(2, 1, 60) } })
      const second = await request(server.base, '/limited', { headers: ip })
      assert.deepEqual(second.headers, { 'retry-after': null, ...limits(2, 0, 60) })
      const third = await request(server.base, '/limited', { headers: ip })
      assert.deepEqual(third, { status: 429, text: TOO_MANY, type: JSON_TYPE, headers: { 'retry-after': '60', ...limits(2, 0, 60) } })
      // Another client is not affected.
      assert.equal((await request(server.base, '/limited', { headers: from('203.0.113.2') })).status, 200)
    })

    test('headers: false sends no X-RateLimit-* but still Retry-After on the 429', async () => {
      const ip = from('203.0.113.3')
      const ok = await request(server.base, '/quiet', { headers: ip })
      assert.deepEqual(ok.headers, { 'retry-after': null, 'x-ratelimit-limit': null, 'x-ratelimit-remaining': null, 'x-ratelimit-reset': null })
      const denied = await request(server.base, '/quiet', { headers: ip })
      assert.deepEqual(denied, {
        status: 429,
        text: TOO_MANY,
        type: JSON_TYPE,
        headers: { 'retry-after': '60', 'x-ratelimit-limit': null, 'x-ratelimit-remaining': null, 'x-ratelimit-reset': null },
      })
    })

    test('per route: named limiters on two routes count apart', async () => {
      const ip = from('203.0.113.4')
      assert.equal((await request(server.base, '/a', { headers: ip })).status, 200)
      assert.equal((await request(server.base, '/b', { headers: ip })).status, 200)
      assert.equal((await request(server.base, '/a', { headers: ip })).status, 429)
      assert.equal((await request(server.base, '/b', { headers: ip })).status, 429)
    })

    test('custom key (async, from the body): attempts on one email count together from any address; skip lets internal calls through', async () => {
      const email = `ada-${version.replace(' ', '')}@example.com`
      calls = 0
      const login = (ip, headers = {}) => request(server.base, '/login', { method: 'POST', headers: { ...from(ip), ...headers }, body: { email } })
      assert.equal((await login('198.51.100.1')).status, 200)
      const second = await login('198.51.100.2')
      assert.deepEqual([second.status, second.headers['x-ratelimit-remaining'], second.headers['x-ratelimit-reset']], [200, '0', '900'])
      const denied = await login('198.51.100.3')
      assert.deepEqual([denied.status, denied.text, denied.headers['retry-after']], [429, TOO_MANY, '900'])
      const skipped = await login('198.51.100.3', { 'x-internal': 'yes' })
      assert.deepEqual([skipped.status, skipped.headers['x-ratelimit-limit']], [200, null])
      assert.equal(calls, 3, 'the denied request never reached the handler')
      // The same count through the public API: the key the middleware used.
      const sameLimiter = new RateLimiter({ store, limit: 2, window: '15m', name: 'login' })
      assert.equal((await sameLimiter.consume(`login:${email.toLowerCase()}`)).allowed, false)
      await sameLimiter.reset(`login:${email.toLowerCase()}`)
      assert.equal((await login('198.51.100.3')).status, 200)
    })

    test('a bad or throwing key goes to the error handler (next(error)), the route is not served', async () => {
      const bad = await request(server.base, '/bad-key')
      assert.equal(bad.status, 500)
      assert.deepEqual(JSON.parse(bad.text), { handledByExpress: true, code: 'ERR_RATE_LIMIT_KEY_INVALID', message: 'Rate limit key is invalid: the key is empty' })
      const throwing = await request(server.base, '/throwing-key')
      assert.deepEqual(JSON.parse(throwing.text), { handledByExpress: true, message: 'no key here' })
    })
  })

  describe(`rateLimit() on ${version} with Redis down`, () => {
    test('fails closed with 503 byte for byte; failOpen lets requests through; both recover', async () => {
      const server = await startRedis()
      let app
      try {
        const store = new RedisStore({ url: server.url, keyPrefix: `down${crypto.randomUUID()}:`, commandTimeout: '300ms', connectTimeout: '200ms' })
        const application = express()
        application.get('/closed', rateLimit({ limit: 5, window: '1m', store }), (req, res) => res.json({ ok: true }))
        application.get('/open', rateLimit({ limit: 5, window: '1m', store, failOpen: true }), (req, res) => res.json({ ok: true }))
        app = await listen(application)
        assert.equal((await request(app.base, '/closed')).status, 200)
        await server.kill()
        const closed = await request(app.base, '/closed')
        assert.deepEqual(closed, { status: 503, text: UNAVAILABLE, type: JSON_TYPE, headers: { 'retry-after': null, 'x-ratelimit-limit': null, 'x-ratelimit-remaining': null, 'x-ratelimit-reset': null } })
        const open = await request(app.base, '/open')
        assert.deepEqual([open.status, open.text, open.headers['x-ratelimit-limit']], [200, '{"ok":true}', null])
        await server.restart()
        let status
        for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
          status = (await request(app.base, '/closed')).status
          if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
        }
        assert.equal(status, 200, 'no recovery after the restart')
      } finally {
        await app?.close()
        await server.stop()
      }
    })
  })
}

test('rateLimit() options are checked when the middleware is made', () => {
  assert.throws(() => rateLimit(), { name: 'TypeError', message: 'options must be an object, got undefined' })
  assert.throws(() => rateLimit({ limit: 5, window: '1m', key: 'ip' }), { name: 'TypeError', message: 'options.key must be a function, got string' })
  assert.throws(() => rateLimit({ limit: 5, window: '1m', skip: true }), { name: 'TypeError', message: 'options.skip must be a function, got boolean' })
  assert.throws(() => rateLimit({ limit: 5, window: '1m', headers: 'yes' }), { name: 'TypeError', message: 'options.headers must be a boolean, got string' })
  assert.throws(() => rateLimit({ limit: 5, window: '1m', failOpen: 1 }), { name: 'TypeError', message: 'options.failOpen must be a boolean, got number' })
  assert.throws(() => rateLimit({ limit: 0, window: '1m' }), { name: 'FerroAuthError', code: 'ERR_INVALID_OPTION', message: 'limit must be an integer from 1 to 100000, got 0' })
})
