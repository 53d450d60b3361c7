'use strict'

// The Express demo (examples/express-server) as `npm run demo` starts it: a child process on
// a free port, driven over HTTP, then stopped.

const { test, describe, before, after } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const path = require('node:path')
const { spawn } = require('node:child_process')

const ROOT = path.join(__dirname, '..')
const START = path.join(ROOT, 'examples', 'express-server', 'start.js')
const EMAIL = 'demo@ferroauth.dev'
const PASSWORD = 'Demo-Passw0rd!'

/** Starts the demo with `env` and resolves once it printed its address. */
function startDemo(env) {
  const childEnv = { ...process.env, ...env, PORT: '0' }
  delete childEnv.HOST
  if (env.JWT_ACCESS_SECRET === undefined) delete childEnv.JWT_ACCESS_SECRET
  const child = spawn(process.execPath, [START], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start within 20 s:\n${output}`)), 20_000)
    const onData = (chunk) => {
      output += chunk
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      // Wait for the whole banner (it ends with the Ctrl+C line).
      if (match && output.includes('Ctrl+C')) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout.setEncoding('utf8').on('data', onData)
    child.stderr.setEncoding('utf8').on('data', onData)
    exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`the demo exited (${code ?? signal}) before listening:\n${output}`))
    })
  })
  return {
    child,
    ready,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      let timer
      const result = await Promise.race([exited, new Promise((resolve) => { timer = setTimeout(resolve, 5000, null) })])
      clearTimeout(timer)
      if (result === null) {
        child.kill('SIGKILL')
        return exited
      }
      return result
    },
  }
}

async function request(base, url, { method = 'GET', token, body, headers = {} } = {}) {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await response.text()
  return {
    status: response.status,
    text,
    json: () => JSON.parse(text),
    challenge: response.headers.get('www-authenticate'),
    setCookie: response.headers.getSetCookie(),
    header: (name) => response.headers.get(name),
  }
}

describe('examples/express-server (npm run demo)', () => {
  let demo
  let base
  before(async () => {
    demo = startDemo({})
    base = await demo.ready
  })
  after(async () => {
    await demo?.stop()
  })

  test('package.json runs it as `npm run demo`', () => {
    assert.equal(require('../package.json').scripts.demo, 'node examples/express-server/start.js')
  })

  test('it prints where it listens, the secret note and the curl commands to try', () => {
    const output = demo.output()
    assert.match(output, /JWT_ACCESS_SECRET is not set, so a random secret was generated/)
    assert.ok(output.includes(`curl -s -X POST ${base}/auth/login -H 'content-type: application/json' -d '{"email":"${EMAIL}","password":"${PASSWORD}"}'`), output)
    assert.ok(output.includes(`curl -s ${base}/auth/me -H "authorization: Bearer $TOKEN"`), output)
    assert.ok(output.includes(`curl -si ${base}/auth/me\n`), output)
  })

  test('log in, then GET /auth/me with the access token', async () => {
    const login = await request(base, '/auth/login', { method: 'POST', body: { email: EMAIL, password: PASSWORD } })
    assert.equal(login.status, 200, login.text)
    const { access_token: accessToken, user } = login.json()
    assert.equal(typeof accessToken, 'string')
    assert.equal(accessToken.split('.').length, 3)
    assert.deepEqual(user, { id: 'usr_demo_0001', email: EMAIL, firstName: 'Demo', lastName: 'User', status: 'ACTIVE' })
    assert.deepEqual(Object.keys(login.json()), ['access_token', 'user'])

    const me = await request(base, '/auth/me', { token: accessToken })
    assert.equal(me.status, 200, me.text)
    assert.deepEqual(me.json(), { ...user, scopes: ['profile:read'] })
  })

  test('GET /auth/me without a token, or with a bad one, is a 401 from ferroauth', async () => {
    const missing = await request(base, '/auth/me')
    assert.equal(missing.status, 401)
    assert.equal(missing.text, '{"statusCode":401,"message":"Missing bearer token","error":"Unauthorized"}')
    assert.equal(missing.challenge, 'Bearer')

    const bad = await request(base, '/auth/me', { token: 'not-a-token' })
    assert.equal(bad.status, 401)
    assert.equal(bad.text, '{"statusCode":401,"message":"Invalid token","error":"Unauthorized"}')
    assert.equal(bad.challenge, 'Bearer error="invalid_token", error_description="Token is malformed: expected three dot-separated segments"')
  })

  test('a wrong password or an unknown email is a 401; a missing field or bad JSON a 400', async () => {
    const expected = '{"statusCode":401,"message":"Invalid email or password","error":"Unauthorized"}'
    const wrong = await request(base, '/auth/login', { method: 'POST', body: { email: EMAIL, password: 'wrong' } })
    assert.deepEqual([wrong.status, wrong.text], [401, expected])
    const unknown = await request(base, '/auth/login', { method: 'POST', body: { email: 'nobody@ferroauth.dev', password: PASSWORD } })
    assert.deepEqual([unknown.status, unknown.text], [401, expected])
    const empty = await request(base, '/auth/login', { method: 'POST', body: {} })
    assert.equal(empty.status, 400)
    assert.deepEqual(empty.json().message, ['email must be a non-empty string', 'password must be a non-empty string'])
    const broken = await request(base, '/auth/login', { method: 'POST', body: '{not json' })
    assert.equal(broken.status, 400)
    assert.deepEqual(broken.json(), { statusCode: 400, message: 'Request body is not valid JSON', error: 'Bad Request' })
  })

  test('the refresh cookie: login sets it, refresh rotates it, a spent one ends the session', async () => {
    const login = await request(base, '/auth/login', { method: 'POST', body: { email: EMAIL, password: PASSWORD }, headers: { 'user-agent': 'demo-test/1' } })
    assert.equal(login.status, 200, login.text)
    const cookieLine = /^rt=(frt_[A-Za-z0-9_-]{92}); Max-Age=(\d+); Path=\/auth; Expires=[^;]+ GMT; HttpOnly; SameSite=Lax$/
    const [, first, maxAge] = cookieLine.exec(login.setCookie.join('\n')) ?? assert.fail(`login set ${JSON.stringify(login.setCookie)}`)
    assert.ok(Number(maxAge) > 7 * 86_400 - 60 && Number(maxAge) <= 7 * 86_400, maxAge)

    const refreshed = await request(base, '/auth/refresh', { method: 'POST', headers: { cookie: `rt=${first}`, 'user-agent': 'demo-test/2' } })
    assert.equal(refreshed.status, 200, refreshed.text)
    assert.deepEqual(Object.keys(refreshed.json()), ['access_token'])
    const [, second] = cookieLine.exec(refreshed.setCookie.join('\n')) ?? assert.fail(JSON.stringify(refreshed.setCookie))
    assert.notEqual(second, first)
    const me = await request(base, '/auth/me', { token: refreshed.json().access_token })
    assert.equal(me.json().email, EMAIL)

    const listed = await request(base, '/auth/sessions', { token: refreshed.json().access_token })
    assert.equal(listed.status, 200, listed.text)
    // A session shows where it was last used from: the refresh's User-Agent, not the login's.
    const mine = listed.json().sessions.filter((s) => s.userAgent === 'demo-test/2')
    assert.equal(mine.length, 1, listed.text)
    assert.equal(mine[0].ip, '127.0.0.1')
    assert.ok(Date.parse(mine[0].lastUsedAt) >= Date.parse(mine[0].createdAt), listed.text)
    assert.ok(!listed.json().sessions.some((s) => s.userAgent === 'demo-test/1'), listed.text)

    // The first cookie again: reuse. The session ends, the live second cookie with it.
    const cleared = 'rt=; Max-Age=0; Path=/auth; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax'
    const reused = await request(base, '/auth/refresh', { method: 'POST', headers: { cookie: `rt=${first}` } })
    assert.equal(reused.text, '{"statusCode":401,"message":"Refresh token was already used; its session has been revoked","error":"Unauthorized"}')
    assert.deepEqual(reused.setCookie, [cleared])
    const revoked = await request(base, '/auth/refresh', { method: 'POST', headers: { cookie: `rt=${second}` } })
    assert.deepEqual([revoked.status, revoked.json().message], [401, 'Refresh token has been revoked'])

    const none = await request(base, '/auth/refresh', { method: 'POST' })
    assert.deepEqual([none.status, none.json().message], [401, 'Refresh token is missing'])
    const garbage = await request(base, '/auth/refresh', { method: 'POST', headers: { cookie: 'rt=frt_nope' } })
    assert.equal(garbage.status, 401)
    assert.match(garbage.json().message, /^Refresh token is invalid/)
  })

  test('logout ends the session of its cookie and clears it; other sessions stay', async () => {
    const login = () => request(base, '/auth/login', { method: 'POST', body: { email: EMAIL, password: PASSWORD } })
    const cookieOf = (response) => /^rt=([^;]+);/.exec(response.setCookie[0])[1]
    const [a, b] = await Promise.all([login(), login()])
    const out = await request(base, '/auth/logout', { method: 'POST', headers: { cookie: `theme=dark; rt=${cookieOf(a)}` } })
    assert.deepEqual([out.status, out.json()], [200, { ok: true, sessionEnded: true }])
    assert.deepEqual(out.setCookie, ['rt=; Max-Age=0; Path=/auth; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax'])
    const afterLogout = await request(base, '/auth/refresh', { method: 'POST', headers: { cookie: `rt=${cookieOf(a)}` } })
    assert.deepEqual([afterLogout.status, afterLogout.json().message], [401, 'Refresh token has been revoked'])
    const other = await request(base, '/auth/refresh', { method: 'POST', headers: { cookie: `rt=${cookieOf(b)}` } })
    assert.equal(other.status, 200, other.text)
    // Without a cookie, or with one already ended, logout still answers 200 and clears it.
    const again = await request(base, '/auth/logout', { method: 'POST', headers: { cookie: `rt=${cookieOf(a)}` } })
    assert.deepEqual(again.json(), { ok: true, sessionEnded: false })
    const bare = await request(base, '/auth/logout', { method: 'POST' })
    assert.deepEqual([bare.status, bare.json()], [200, { ok: true, sessionEnded: false }])
  })

  test('POST /auth/business-details with an Idempotency-Key: created once, the answer replayed, another body a 409', async () => {
    const login = await request(base, '/auth/login', { method: 'POST', body: { email: EMAIL, password: PASSWORD } })
    const token = login.json().access_token
    const details = { businessName: 'Acme', businessType: 'SAAS', monthlyMessageVolume: 1000 }
    const submit = (key, body = details) =>
      request(base, '/auth/business-details', { method: 'POST', token, body, headers: key === undefined ? {} : { 'idempotency-key': key } })

    const key = crypto.randomUUID()
    const [first, second] = await Promise.all([submit(key), submit(key)])
    // Sent at once, one runs and the other is told it is still in progress (or, if it came
    // second, gets the replay); never two businesses.
    const created = [first, second].find((r) => r.status === 201 && r.header('idempotent-replayed') === null)
    assert.ok(created, `${first.status} ${first.text} / ${second.status} ${second.text}`)
    const business = created.json()
    assert.match(business.id, /^biz_[0-9a-f]{16}$/)
    assert.deepEqual({ ...business, id: 'x', createdAt: 'x' }, { id: 'x', userId: 'usr_demo_0001', ...details, createdAt: 'x' })
    const other = created === first ? second : first
    if (other.status === 409) {
      assert.equal(other.text, '{"statusCode":409,"message":"A request with this idempotency key is still being processed","error":"Conflict"}')
    } else {
      assert.equal(other.text, created.text)
    }

    const replay = await submit(key)
    assert.equal(replay.status, 201)
    assert.equal(replay.header('idempotent-replayed'), 'true')
    assert.equal(replay.text, created.text) // the same business, byte for byte

    const changed = await submit(key, { ...details, businessName: 'Other' })
    assert.equal(changed.status, 409)
    assert.equal(changed.text, '{"statusCode":409,"message":"Idempotency key already used with a different payload","error":"Conflict"}')

    const fresh = await submit(crypto.randomUUID())
    assert.equal(fresh.status, 201)
    assert.notEqual(fresh.json().id, business.id)

    const keyless = await submit(undefined)
    assert.equal(keyless.status, 400)
    assert.equal(keyless.json().message, 'Idempotency-Key header is required')
    const invalid = await submit(crypto.randomUUID(), { businessName: '', businessType: 'BAKERY', monthlyMessageVolume: -1 })
    assert.deepEqual([invalid.status, invalid.json().message.length], [400, 3])
    const anonymous = await request(base, '/auth/business-details', { method: 'POST', body: details, headers: { 'idempotency-key': key } })
    assert.equal(anonymous.status, 401)
  })

  test('login throttling: five failed logins a minute for one address and email, then 429; others unaffected', async () => {
    const attempt = (email, password = 'wrong') => request(base, '/auth/login', { method: 'POST', body: { email, password } })
    const target = `locked-${crypto.randomUUID()}@ferroauth.dev`
    for (let i = 0; i < 5; i++) {
      const response = await attempt(target)
      assert.equal(response.status, 401, `attempt ${i + 1}: ${response.text}`)
    }
    const refused = await attempt(target.toUpperCase()) // the same account, however it is spelled
    assert.equal(refused.status, 429)
    assert.equal(refused.text, '{"statusCode":429,"message":"ThrottlerException: Too Many Requests"}')
    const retryAfter = Number(refused.header('retry-after'))
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${refused.header('retry-after')}`)

    assert.equal((await attempt(`other-${crypto.randomUUID()}@ferroauth.dev`)).status, 401)
    // A successful login clears its own count, so the demo user's failures never pile up.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4; i++) assert.equal((await attempt(EMAIL)).status, 401)
      assert.equal((await attempt(EMAIL, PASSWORD)).status, 200)
    }
  })

  test('the printed commands show idempotency and login throttling', () => {
    const output = demo.output()
    assert.ok(output.includes(`curl -si -X POST ${base}/auth/business-details -H "authorization: Bearer $TOKEN" -H "idempotency-key: $KEY"`), output)
    assert.ok(output.includes('for i in 1 2 3 4 5 6; do curl'), output)
  })

  test('the printed refresh commands use a cookie jar', () => {
    const output = demo.output()
    assert.ok(output.includes(`curl -s -b jar.txt -c jar.txt -X POST ${base}/auth/refresh`), output)
    assert.ok(output.includes(`curl -s -b jar.txt -c jar.txt -X POST ${base}/auth/logout`), output)
  })

  test('it stops cleanly on SIGTERM', async () => {
    const result = await demo.stop()
    assert.deepEqual(result, { code: 0, signal: null })
  })
})

describe('examples/express-server with JWT_ACCESS_SECRET set', () => {
  let demo
  let base
  const secret = 'demo-test-secret-0123456789abcdefghijklmnop'
  before(async () => {
    demo = startDemo({ JWT_ACCESS_SECRET: secret })
    base = await demo.ready
  })
  after(async () => {
    await demo?.stop()
  })

  test('tokens are signed with that secret (a token from ferroauth with it is accepted)', async () => {
    assert.match(demo.output(), /Using the secret in JWT_ACCESS_SECRET/)
    const { TokenSigner } = require('ferroauth')
    const token = new TokenSigner({ secret, issuer: 'ferroauth-demo', audience: 'ferroauth-demo-api' }).sign({ sub: 'usr_demo_0001' })
    const me = await request(base, '/auth/me', { token })
    assert.equal(me.status, 200, me.text)
    assert.equal(me.json().email, EMAIL)
    // A token for a user the store does not know: getUserInfo returns null.
    const ghost = new TokenSigner({ secret, issuer: 'ferroauth-demo', audience: 'ferroauth-demo-api' }).sign({ sub: 'usr_gone' })
    const gone = await request(base, '/auth/me', { token: ghost })
    assert.equal(gone.status, 401)
    assert.equal(gone.text, '{"statusCode":401,"message":"User not found","error":"Unauthorized"}')
  })
})
