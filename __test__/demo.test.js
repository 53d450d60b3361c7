'use strict'

// The Express demo (examples/express-server) as `npm run demo` starts it: a child process on
// a free port, driven over HTTP, then stopped.

const { test, describe, before, after } = require('node:test')
const assert = require('node:assert/strict')
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
  return { status: response.status, text, json: () => JSON.parse(text), challenge: response.headers.get('www-authenticate') }
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
