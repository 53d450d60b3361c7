'use strict'

// The reference setup's NestJS login / refresh / logout controller on ferroauth
// (__test__/nest-refresh-app/app.ts, compiled at start under --strict with decorator metadata,
// so compiling it is also the type test): RefreshTokenManager and TokenSigner injected as
// providers, the cookie helpers from ferroauth/nestjs, JwtAuthGuard as APP_GUARD with
// @Public() routes. Driven over real HTTP on 127.0.0.1.

const { test, describe, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { tscSync } = require('./helpers/tsc.js')

process.env.JWT_ACCESS_SECRET = 'ferroauth-nest-refresh-test-secret-0123456789'
delete process.env.NODE_ENV
delete process.env.COOKIE_DOMAIN

const { NestFactory } = require('@nestjs/core')

const APP_DIR = path.join(__dirname, 'nest-refresh-app')
const DIST = path.join(APP_DIR, 'dist') // .gitignored

const CLEARED = 'rt=; Max-Age=0; Path=/auth; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax'
const COOKIE_LINE = /^rt=(frt_[A-Za-z0-9_-]{92}); Max-Age=\d+; Path=\/auth; Expires=[^;]+ GMT; HttpOnly; SameSite=Lax$/
const json = (value) => JSON.stringify(value)

async function request(base, route, { method = 'POST', cookie, token, body, userAgent } = {}) {
  const headers = {}
  if (cookie !== undefined) headers.cookie = cookie
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (userAgent !== undefined) headers['user-agent'] = userAgent
  const response = await fetch(`${base}${route}`, { method, headers, body: body === undefined ? undefined : json(body) })
  const text = await response.text()
  return { status: response.status, text, body: text ? JSON.parse(text) : undefined, setCookie: response.headers.getSetCookie() }
}

/** The refresh token a response set, failing when it set none or another shape. */
function tokenSet(response) {
  assert.equal(response.setCookie.length, 1, json(response.setCookie))
  const match = COOKIE_LINE.exec(response.setCookie[0])
  assert.ok(match, response.setCookie[0])
  return match[1]
}

describe('NestJS: login, refresh and logout with RefreshTokenManager and the cookie helpers', () => {
  let app
  let base
  const login = (userAgent) =>
    request(base, '/auth/login', { body: { email: 'ada@example.com', password: 'Correct-h0rse!' }, userAgent })

  before(async () => {
    fs.rmSync(DIST, { recursive: true, force: true })
    const compiled = tscSync(APP_DIR)
    assert.equal(compiled.status, 0, `the app did not compile under --strict:\n${compiled.output}`)
    const { AppModule } = require(path.join(DIST, 'app.js'))
    app = await NestFactory.create(AppModule, { logger: false, forceCloseConnections: true })
    await app.listen(0, '127.0.0.1')
    base = `http://127.0.0.1:${app.getHttpServer().address().port}`
  })
  after(() => app?.close())

  test('login: the refresh cookie on Path=/auth and an access token in the body', async () => {
    const response = await login()
    assert.equal(response.status, 201, response.text)
    tokenSet(response)
    assert.deepEqual(Object.keys(response.body), ['accessToken'])
    const wrong = await request(base, '/auth/login', { body: { email: 'ada@example.com', password: 'nope' } })
    assert.deepEqual([wrong.status, wrong.text, wrong.setCookie], [401, json({ message: 'Unauthorized', statusCode: 401 }), []])
  })

  test('refresh rotates the cookie; the access token it returns passes the guard', async () => {
    const first = tokenSet(await login('nest-test/1'))
    const refreshed = await request(base, '/auth/refresh', { cookie: `rt=${first}`, userAgent: 'nest-test/2' })
    assert.equal(refreshed.status, 200, refreshed.text)
    const second = tokenSet(refreshed)
    assert.notEqual(second, first)

    const sessions = await request(base, '/auth/sessions', { method: 'GET', token: refreshed.body.accessToken })
    assert.equal(sessions.status, 200, sessions.text)
    const mine = sessions.body.sessions.filter((s) => s.userAgent === 'nest-test/2')
    assert.equal(mine.length, 1, sessions.text)
    assert.equal(mine[0].userId, 'u-1')
    assert.ok(!Number.isNaN(Date.parse(mine[0].expiresAt)))

    const again = await request(base, '/auth/refresh', { cookie: `rt=${second}` })
    assert.equal(again.status, 200, again.text)
  })

  test('a spent cookie again: 401 as a Nest exception, the cookie cleared, the session over', async () => {
    const first = tokenSet(await login())
    const second = tokenSet(await request(base, '/auth/refresh', { cookie: `rt=${first}` }))
    const reused = await request(base, '/auth/refresh', { cookie: `rt=${first}` })
    assert.deepEqual([reused.status, reused.text, reused.setCookie], [
      401,
      json({ message: 'Refresh token was already used; its session has been revoked', error: 'Unauthorized', statusCode: 401 }),
      [CLEARED],
    ])
    const revoked = await request(base, '/auth/refresh', { cookie: `rt=${second}` })
    assert.deepEqual([revoked.status, revoked.body.message, revoked.setCookie], [401, 'Refresh token has been revoked', [CLEARED]])
  })

  test('no cookie, or garbage in it: 401 with the reason', async () => {
    const none = await request(base, '/auth/refresh')
    assert.deepEqual([none.status, none.body.message, none.setCookie], [401, 'Refresh token is missing', [CLEARED]])
    const garbage = await request(base, '/auth/refresh', { cookie: 'rt=frt_garbage' })
    assert.equal(garbage.status, 401)
    assert.match(garbage.body.message, /^Refresh token is invalid/)
  })

  test('logout ends the session and clears the cookie; without a cookie it still answers', async () => {
    const token = tokenSet(await login())
    const out = await request(base, '/auth/logout', { cookie: `other=1; rt=${token}` })
    assert.deepEqual([out.status, out.body, out.setCookie], [200, { ok: true }, [CLEARED]])
    const after = await request(base, '/auth/refresh', { cookie: `rt=${token}` })
    assert.deepEqual([after.status, after.body.message], [401, 'Refresh token has been revoked'])
    const bare = await request(base, '/auth/logout')
    assert.deepEqual([bare.status, bare.body], [200, { ok: true }])
  })

  test('guarded routes need the access token; logout-everywhere ends every session of the user', async () => {
    const unguarded = await request(base, '/auth/sessions', { method: 'GET' })
    assert.deepEqual([unguarded.status, unguarded.body.message], [401, 'Missing bearer token'])
    const a = await login()
    const b = await login()
    const everywhere = await request(base, '/auth/logout-everywhere', { token: a.body.accessToken })
    assert.equal(everywhere.status, 200, everywhere.text)
    assert.ok(everywhere.body.ended >= 2, everywhere.text)
    for (const response of [a, b]) {
      const refused = await request(base, '/auth/refresh', { cookie: `rt=${tokenSet(response)}` })
      assert.deepEqual([refused.status, refused.body.message], [401, 'Refresh token has been revoked'])
    }
    const listed = await request(base, '/auth/sessions', { method: 'GET', token: a.body.accessToken })
    assert.deepEqual(listed.body, { sessions: [] })
  })
})
