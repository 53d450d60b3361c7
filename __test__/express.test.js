'use strict'

// ferroauth/express against real Express 4 and Express 5 apps (and a plain node:http server)
// over real HTTP on 127.0.0.1, driven with fetch. Every 401/403 is checked byte for byte:
// status, the JSON body as a string, WWW-Authenticate and Content-Type.

const { test, describe, before, after } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { tsc } = require('./helpers/tsc.js')

const ROOT = path.join(__dirname, '..')
const SECRET = 'ferroauth-express-test-secret-0123456789abcdef'
process.env.JWT_ACCESS_SECRET = SECRET

// Through the package's own name, as an app would (self-reference via the exports map).
const { createAuthMiddleware, requireScopes, requireRoles } = require('ferroauth/express')
const ferroauth = require('ferroauth')
const { TokenSigner, TokenVerifier } = ferroauth

const EXPRESS_VERSIONS = [
  ['Express 4', require('express4')],
  ['Express 5', require('express')],
]

const ISSUER = 'tekcify-auth'
const AUDIENCE = 'tekcify-api'
const NOW = () => Math.floor(Date.now() / 1000)

const signer = new TokenSigner({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE, expiresIn: '15m' })
const TOKEN = signer.sign({ sub: 'user-1', email: 'token@example.com', scope: 'profile:read posts:write', roles: ['editor'] })
const GHOST_TOKEN = signer.sign({ sub: 'ghost' })
const NO_SUB_TOKEN = signer.sign({ email: 'nobody@example.com' })
const EXPIRED_TOKEN = signer.sign({ sub: 'user-1', iat: NOW() - 120, exp: NOW() - 60 })
const FUTURE_TOKEN = signer.sign({ sub: 'user-1', nbf: NOW() + 3600 })
const FORGED_TOKEN = new TokenSigner({ secret: `${SECRET}-other`, issuer: ISSUER, audience: AUDIENCE }).sign({ sub: 'user-1' })
const WRONG_ISSUER_TOKEN = new TokenSigner({ secret: SECRET, issuer: 'someone-else', audience: AUDIENCE }).sign({ sub: 'user-1' })
const WRONG_AUDIENCE_TOKEN = new TokenSigner({ secret: SECRET, issuer: ISSUER, audience: 'other-api' }).sign({ sub: 'user-1' })
const REVOKED_TOKEN = signer.sign({ sub: 'user-1', jti: 'revoked-jti' })
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url')
// An `alg` the verifier echoes in its message, with characters a header value cannot carry.
const HOSTILE_TOKEN = `${b64({ alg: 'HS256\u{1F600}' })}.${b64({ sub: 'user-1', exp: NOW() + 600 })}.c2ln`

// ---- expected answers, byte for byte ---------------------------------------------------------

const JSON_TYPE = 'application/json; charset=utf-8'
const INVALID = (description) => `Bearer error="invalid_token", error_description="${description}"`

const MISSING = { status: 401, body: '{"statusCode":401,"message":"Missing bearer token","error":"Unauthorized"}', challenge: 'Bearer' }
const EXPIRED = {
  status: 401,
  body: '{"statusCode":401,"message":"Token has expired","error":"Unauthorized"}',
  challenge: INVALID('The access token expired'),
}
const NOT_YET_VALID = {
  status: 401,
  body: '{"statusCode":401,"message":"Token is not yet valid","error":"Unauthorized"}',
  challenge: INVALID('The access token is not valid yet'),
}
const invalid = (description) => ({
  status: 401,
  body: '{"statusCode":401,"message":"Invalid token","error":"Unauthorized"}',
  challenge: INVALID(description),
})
const BAD_SIGNATURE = invalid('Signature verification failed')
const MALFORMED = invalid('Token is malformed: expected three dot-separated segments')
const WRONG_ISSUER = invalid("'iss' claim does not match the expected issuer")
const WRONG_AUDIENCE = invalid("'aud' claim does not match the expected audience")
const HOSTILE = invalid("Algorithm 'HS256??' is not allowed for this key")
const USER_NOT_FOUND = {
  status: 401,
  body: '{"statusCode":401,"message":"User not found","error":"Unauthorized"}',
  challenge: INVALID('The token subject is unknown'),
}
const REVOKED = {
  status: 401,
  body: '{"statusCode":401,"message":"Token has been revoked","error":"Unauthorized"}',
  challenge: INVALID('The access token has been revoked'),
}
const MISSING_SCOPE = {
  status: 403,
  body: '{"statusCode":403,"message":"Insufficient scope: requires admin:all, posts:write","error":"Forbidden"}',
  challenge: 'Bearer error="insufficient_scope", error_description="Insufficient scope: requires admin:all, posts:write", scope="admin:all posts:write"',
}
const MISSING_ROLE = {
  status: 403,
  body: '{"statusCode":403,"message":"Insufficient role: requires admin","error":"Forbidden"}',
  challenge: 'Bearer error="insufficient_scope", error_description="Insufficient role: requires admin"',
}

// ---- helpers ---------------------------------------------------------------------------------

/** Starts `handler` (an Express app or a node:http listener) on 127.0.0.1, on a free port. */
function listen(handler) {
  return new Promise((resolve, reject) => {
    const server = http.createServer(handler)
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const base = `http://127.0.0.1:${server.address().port}`
      resolve({
        base,
        close: () => new Promise((done) => {
          server.close(done)
          server.closeAllConnections()
        }),
      })
    })
  })
}

async function get(base, url, { token, headers = {} } = {}) {
  const response = await fetch(`${base}${url}`, {
    headers: token === undefined ? headers : { authorization: `Bearer ${token}`, ...headers },
  })
  const text = await response.text()
  return {
    status: response.status,
    text,
    json: () => JSON.parse(text),
    challenge: response.headers.get('www-authenticate'),
    type: response.headers.get('content-type'),
  }
}

function assertAnswer(response, expected) {
  assert.deepEqual(
    { status: response.status, body: response.text, challenge: response.challenge, type: response.type },
    { ...expected, type: JSON_TYPE },
  )
}

// An in-memory stand-in for the README's `userRepository`.
const userRepository = {
  rows: new Map([['user-1', { id: 'user-1', email: 'user-1@example.com' }]]),
  async findById(id) {
    return this.rows.get(id) ?? null
  },
}

/** The error handler every app ends with: what reached `next(error)`, as JSON. */
const errorHandler = (error, req, res, next) => {
  res.status(500).json({ handledByExpress: true, message: error.message })
}

// ---- the apps --------------------------------------------------------------------------------

/** The reference README's "Create Auth Middleware" and "Complete Express Example", nearly verbatim. */
function readmeApp(express) {
  const app = express()

  const authMiddleware = createAuthMiddleware({
    secret: process.env.JWT_ACCESS_SECRET,
    issuer: 'tekcify-auth',
    audience: 'tekcify-api',
    getUserInfo: async (userId) => {
      // Optional: Fetch user info from your database
      const user = await userRepository.findById(userId)
      return user ? { email: user.email } : null
    },
  })

  app.use(express.json())

  // Public routes
  app.get('/health', (req, res) => {
    res.json({ status: 'ok' })
  })

  // Apply middleware to all /api routes
  app.use('/api', authMiddleware)

  app.get('/api/profile', (req, res) => {
    // req.user is now available
    res.json({
      userId: req.user.userId,
      email: req.user.email,
      scopes: req.user.scopes,
    })
  })

  app.put('/api/profile', (req, res) => {
    res.json({ userId: req.user.userId, updated: req.body })
  })

  app.use(errorHandler)
  return app
}

/** The README's "Route-Level Middleware" step, with the root package's createAuthMiddleware. */
function routeLevelApp(express) {
  const app = express()
  const authMiddleware = ferroauth.createAuthMiddleware({
    secret: process.env.JWT_ACCESS_SECRET,
    issuer: 'tekcify-auth',
    audience: 'tekcify-api',
  })

  app.get('/api/public', (req, res) => {
    res.json({ message: 'Public endpoint' })
  })

  app.get('/api/protected', authMiddleware, (req, res) => {
    res.json({
      message: 'Protected endpoint',
      user: req.user.userId,
    })
  })

  app.get('/api/user', authMiddleware, (req, res) => {
    const userId = req.user.userId
    const email = req.user.email
    res.json({ userId, email })
  })

  app.use(errorHandler)
  return app
}

/** One route per option, each behind its own middleware. */
function featuresApp(express) {
  const app = express()
  const base = { secret: SECRET, issuer: ISSUER, audience: AUDIENCE }
  const echo = (property = 'user') => (req, res) => {
    res.json({ user: req[property] ?? null, userProperty: req.user ?? null })
  }

  app.get('/optional', createAuthMiddleware({ ...base, credentialsRequired: false }), echo())
  app.get('/cookie', createAuthMiddleware({ ...base, cookie: 'access_token' }), echo())
  app.get('/cookie-parsed', (req, res, next) => {
    req.cookies = { access_token: req.get('x-parsed-cookie') } // what cookie-parser would leave
    next()
  }, createAuthMiddleware({ ...base, cookie: 'access_token' }), echo())
  app.get('/query', createAuthMiddleware({ ...base, getToken: (req) => req.query.access_token }), echo())
  app.get('/async-get-token', createAuthMiddleware({
    ...base,
    getToken: async (req) => req.get('x-access-token'),
  }), echo())
  app.get('/get-token-throws', createAuthMiddleware({
    ...base,
    getToken: () => {
      throw new Error('getToken failed')
    },
  }), echo())
  app.get('/property', createAuthMiddleware({ ...base, requestProperty: 'auth' }), echo('auth'))
  app.get('/revocable', createAuthMiddleware({
    ...base,
    isRevoked: async (payload, token) => {
      assert.equal(typeof token, 'string')
      return payload.jti === 'revoked-jti'
    },
  }), echo())
  app.get('/revocation-down', createAuthMiddleware({
    ...base,
    isRevoked: async () => {
      throw new Error('revocation list unreachable')
    },
  }), echo())
  app.get('/user-info-throws', createAuthMiddleware({
    ...base,
    getUserInfo: async () => {
      throw new Error('database is down')
    },
  }), echo())
  app.get('/user-info-throws-sync', createAuthMiddleware({
    ...base,
    getUserInfo: () => {
      throw new Error('sync lookup failed')
    },
  }), echo())
  app.get('/user-info-merged', createAuthMiddleware({
    ...base,
    getUserInfo: (userId) => ({ email: `${userId}@db.example.com`, displayName: 'From DB', userId: 'spoofed' }),
  }), echo())
  app.get('/verifier', createAuthMiddleware({ verifier: new TokenVerifier(base) }), echo())
  app.get('/no-audience', createAuthMiddleware({ secret: SECRET, issuer: ISSUER }), echo())

  const auth = createAuthMiddleware(base)
  app.get('/scoped/posts', auth, requireScopes('posts:write'), echo())
  app.get('/scoped/admin', auth, requireScopes('admin:all', 'posts:write'), echo())
  app.get('/roles/editor', auth, requireRoles('editor'), echo())
  app.get('/roles/admin', auth, requireRoles('admin'), echo())
  const authAsAuth = createAuthMiddleware({ ...base, requestProperty: 'auth' })
  app.get('/scoped-property', authAsAuth, requireScopes('posts:write'), requireRoles('editor'), echo('auth'))
  app.get('/scoped-property-denied', authAsAuth, requireRoles('admin'), echo('auth'))
  const optional = createAuthMiddleware({ ...base, credentialsRequired: false })
  app.get('/optional-scoped', optional, requireScopes('posts:write'), echo())
  app.get('/scopes-without-auth', requireScopes('posts:write'), echo())

  // An async handler after the middleware: Express 5 forwards its rejection, and 4 at least runs it.
  app.get('/after', auth, async (req, res) => {
    await new Promise((resolve) => setImmediate(resolve))
    res.json({ userId: req.user.userId })
  })
  app.use(errorHandler)
  return app
}

// ---- the suites ------------------------------------------------------------------------------

for (const [name, express] of EXPRESS_VERSIONS) {
  describe(`${name}: the reference README's app (app.use('/api', authMiddleware), getUserInfo)`, () => {
    let server
    before(async () => {
      server = await listen(readmeApp(express))
    })
    after(() => server.close())

    test('a valid token reaches the handler with req.user from the token and getUserInfo', async () => {
      const response = await get(server.base, '/api/profile', { token: TOKEN })
      assert.equal(response.status, 200, response.text)
      assert.deepEqual(response.json(), {
        userId: 'user-1',
        email: 'user-1@example.com', // getUserInfo's fields win over the token's
        scopes: ['profile:read', 'posts:write'],
      })
    })

    test('express.json() and the middleware work together on a PUT', async () => {
      const response = await fetch(`${server.base}/api/profile`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ firstName: 'John' }),
      })
      assert.equal(response.status, 200)
      assert.deepEqual(await response.json(), { userId: 'user-1', updated: { firstName: 'John' } })
    })

    test('routes outside /api stay public', async () => {
      const response = await get(server.base, '/health')
      assert.equal(response.status, 200)
      assert.deepEqual(response.json(), { status: 'ok' })
    })

    test('no token: 401 with the bare challenge `Bearer` (no error attribute, RFC 6750 §3.1)', async () => {
      assertAnswer(await get(server.base, '/api/profile'), MISSING)
    })

    test('getUserInfo returning null: 401 User not found', async () => {
      assertAnswer(await get(server.base, '/api/profile', { token: GHOST_TOKEN }), USER_NOT_FOUND)
    })

    test('a token without sub never reaches getUserInfo: 401 User not found', async () => {
      assertAnswer(await get(server.base, '/api/profile', { token: NO_SUB_TOKEN }), USER_NOT_FOUND)
    })

    test('an expired token: 401 "Token has expired", a message other than the invalid one', async () => {
      const response = await get(server.base, '/api/profile', { token: EXPIRED_TOKEN })
      assertAnswer(response, EXPIRED)
      assert.notEqual(response.json().message, JSON.parse(BAD_SIGNATURE.body).message)
      assert.notEqual(response.json().message, JSON.parse(MISSING.body).message)
    })

    test('a token that is not valid yet: 401 "Token is not yet valid"', async () => {
      assertAnswer(await get(server.base, '/api/profile', { token: FUTURE_TOKEN }), NOT_YET_VALID)
    })

    test('an invalid signature: 401 Invalid token', async () => {
      assertAnswer(await get(server.base, '/api/profile', { token: FORGED_TOKEN }), BAD_SIGNATURE)
    })

    test('a wrong issuer and a wrong audience: 401 Invalid token, the claim named', async () => {
      assertAnswer(await get(server.base, '/api/profile', { token: WRONG_ISSUER_TOKEN }), WRONG_ISSUER)
      assertAnswer(await get(server.base, '/api/profile', { token: WRONG_AUDIENCE_TOKEN }), WRONG_AUDIENCE)
    })

    test('a malformed token: 401 Invalid token', async () => {
      assertAnswer(await get(server.base, '/api/profile', { token: 'not-a-jwt' }), MALFORMED)
    })

    test('a header that is not a bearer credential ("Basic ...", "Bearer" alone) counts as no token', async () => {
      assertAnswer(await get(server.base, '/api/profile', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }), MISSING)
      assertAnswer(await get(server.base, '/api/profile', { headers: { authorization: 'Bearer' } }), MISSING)
      assertAnswer(await get(server.base, '/api/profile', { headers: { authorization: `Token ${TOKEN}` } }), MISSING)
      assertAnswer(await get(server.base, '/api/profile', { headers: { authorization: `Bearer:${TOKEN}` } }), MISSING)
    })

    test('the scheme is case-insensitive: `bearer` and `BEARER` work', async () => {
      for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
        const response = await get(server.base, '/api/profile', { headers: { authorization: `${scheme} ${TOKEN}` } })
        assert.equal(response.status, 200, `${scheme}: ${response.text}`)
        assert.equal(response.json().userId, 'user-1')
      }
    })

    test('a token whose header the error message echoes with non-ASCII: 401, the challenge stays a valid header', async () => {
      assertAnswer(await get(server.base, '/api/profile', { token: HOSTILE_TOKEN }), HOSTILE)
    })
  })

  describe(`${name}: route-level middleware (the README's Step 3, createAuthMiddleware from 'ferroauth')`, () => {
    let server
    before(async () => {
      server = await listen(routeLevelApp(express))
    })
    after(() => server.close())

    test('the public route needs no token', async () => {
      const response = await get(server.base, '/api/public')
      assert.equal(response.status, 200)
      assert.deepEqual(response.json(), { message: 'Public endpoint' })
    })

    test('the protected route answers with the user', async () => {
      const response = await get(server.base, '/api/protected', { token: TOKEN })
      assert.equal(response.status, 200, response.text)
      assert.deepEqual(response.json(), { message: 'Protected endpoint', user: 'user-1' })
      const user = await get(server.base, '/api/user', { token: TOKEN })
      assert.deepEqual(user.json(), { userId: 'user-1', email: 'token@example.com' })
    })

    test('the protected route refuses a missing and an expired token', async () => {
      assertAnswer(await get(server.base, '/api/protected'), MISSING)
      assertAnswer(await get(server.base, '/api/protected', { token: EXPIRED_TOKEN }), EXPIRED)
    })
  })

  describe(`${name}: options, requireScopes and requireRoles`, () => {
    let server
    before(async () => {
      server = await listen(featuresApp(express))
    })
    after(() => server.close())

    test('credentialsRequired: false lets a request without a token through, without a user', async () => {
      const response = await get(server.base, '/optional')
      assert.equal(response.status, 200, response.text)
      assert.deepEqual(response.json(), { user: null, userProperty: null })
    })

    test('credentialsRequired: false still refuses an invalid or expired token, and takes a valid one', async () => {
      assertAnswer(await get(server.base, '/optional', { token: FORGED_TOKEN }), BAD_SIGNATURE)
      assertAnswer(await get(server.base, '/optional', { token: EXPIRED_TOKEN }), EXPIRED)
      const response = await get(server.base, '/optional', { token: TOKEN })
      assert.equal(response.json().user.userId, 'user-1')
    })

    test('cookie: the token is read from the named cookie when there is no Authorization header', async () => {
      const response = await get(server.base, '/cookie', { headers: { cookie: `theme=dark; access_token=${TOKEN}; other=1` } })
      assert.equal(response.status, 200, response.text)
      assert.equal(response.json().user.userId, 'user-1')
      const parsed = await get(server.base, '/cookie-parsed', { headers: { 'x-parsed-cookie': TOKEN } })
      assert.equal(parsed.status, 200, parsed.text)
    })

    test('cookie: a bad cookie token is a 401, no cookie at all a missing token, the header wins over the cookie', async () => {
      assertAnswer(await get(server.base, '/cookie', { headers: { cookie: `access_token=${EXPIRED_TOKEN}` } }), EXPIRED)
      assertAnswer(await get(server.base, '/cookie', { headers: { cookie: 'theme=dark' } }), MISSING)
      assertAnswer(await get(server.base, '/cookie'), MISSING)
      assertAnswer(await get(server.base, '/cookie', { token: FORGED_TOKEN, headers: { cookie: `access_token=${TOKEN}` } }), BAD_SIGNATURE)
    })

    test('getToken replaces the header: a query parameter, or an async lookup', async () => {
      const response = await get(server.base, `/query?access_token=${TOKEN}`)
      assert.equal(response.status, 200, response.text)
      assert.equal(response.json().user.userId, 'user-1')
      assertAnswer(await get(server.base, '/query', { token: TOKEN }), MISSING) // the header is not read
      assertAnswer(await get(server.base, `/query?access_token=${FORGED_TOKEN}`), BAD_SIGNATURE)
      const asynchronous = await get(server.base, '/async-get-token', { headers: { 'x-access-token': TOKEN } })
      assert.equal(asynchronous.status, 200, asynchronous.text)
      assertAnswer(await get(server.base, '/async-get-token'), MISSING)
    })

    test('requestProperty puts the user on req[requestProperty], not req.user', async () => {
      const response = await get(server.base, '/property', { token: TOKEN })
      assert.equal(response.status, 200, response.text)
      const body = response.json()
      assert.equal(body.user.userId, 'user-1')
      assert.equal(body.userProperty, null)
    })

    test('isRevoked: a revoked token is a 401, others pass', async () => {
      assertAnswer(await get(server.base, '/revocable', { token: REVOKED_TOKEN }), REVOKED)
      const response = await get(server.base, '/revocable', { token: TOKEN })
      assert.equal(response.status, 200, response.text)
    })

    test('errors thrown by getUserInfo, isRevoked and getToken reach the Express error handler', async () => {
      for (const [url, message] of [
        ['/user-info-throws', 'database is down'],
        ['/user-info-throws-sync', 'sync lookup failed'],
        ['/revocation-down', 'revocation list unreachable'],
        ['/get-token-throws', 'getToken failed'],
      ]) {
        const response = await get(server.base, url, { token: TOKEN })
        assert.equal(response.status, 500, `${url}: ${response.text}`)
        assert.deepEqual(response.json(), { handledByExpress: true, message })
      }
    })

    test("getUserInfo's fields are merged over the token's; userId and claims stay the token's", async () => {
      const { user } = (await get(server.base, '/user-info-merged', { token: TOKEN })).json()
      assert.equal(user.userId, 'user-1')
      assert.equal(user.email, 'user-1@db.example.com')
      assert.equal(user.displayName, 'From DB')
      assert.equal(user.claims.sub, 'user-1')
      assert.deepEqual(user.roles, ['editor'])
    })

    test('a ready TokenVerifier can be passed as `verifier`', async () => {
      assert.equal((await get(server.base, '/verifier', { token: TOKEN })).status, 200)
      assertAnswer(await get(server.base, '/verifier', { token: WRONG_AUDIENCE_TOKEN }), WRONG_AUDIENCE)
    })

    test('req.user is a UserPayload: userId, email, scopes, roles, claims', async () => {
      const { user } = (await get(server.base, '/no-audience', { token: TOKEN })).json()
      assert.deepEqual(Object.keys(user).sort(), ['claims', 'email', 'roles', 'scopes', 'userId'])
      assert.equal(user.userId, 'user-1')
      assert.equal(user.email, 'token@example.com')
      assert.deepEqual(user.scopes, ['profile:read', 'posts:write'])
      assert.deepEqual(user.roles, ['editor'])
      assert.equal(user.claims.iss, ISSUER)
    })

    test('requireScopes passes a user holding every scope, and answers 403 insufficient_scope otherwise', async () => {
      assert.equal((await get(server.base, '/scoped/posts', { token: TOKEN })).status, 200)
      assertAnswer(await get(server.base, '/scoped/admin', { token: TOKEN }), MISSING_SCOPE)
    })

    test('requireRoles passes a user holding the role, and answers 403 insufficient_scope otherwise', async () => {
      assert.equal((await get(server.base, '/roles/editor', { token: TOKEN })).status, 200)
      assertAnswer(await get(server.base, '/roles/admin', { token: TOKEN }), MISSING_ROLE)
    })

    test('requireScopes/requireRoles find the user under any requestProperty', async () => {
      const response = await get(server.base, '/scoped-property', { token: TOKEN })
      assert.equal(response.status, 200, response.text)
      assertAnswer(await get(server.base, '/scoped-property-denied', { token: TOKEN }), MISSING_ROLE)
    })

    test('requireScopes without an authenticated user answers the missing-token 401, not a 403', async () => {
      assertAnswer(await get(server.base, '/optional-scoped'), MISSING)
      assertAnswer(await get(server.base, '/scopes-without-auth'), MISSING)
      assert.equal((await get(server.base, '/optional-scoped', { token: TOKEN })).status, 200)
    })

    test('the middleware runs before an async handler and the handler gets the user', async () => {
      const response = await get(server.base, '/after', { token: TOKEN })
      assert.equal(response.status, 200, response.text)
      assert.deepEqual(response.json(), { userId: 'user-1' })
    })

    test('many concurrent requests, valid and invalid, each get their own answer', async () => {
      const tokens = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? FORGED_TOKEN : i % 3 === 1 ? TOKEN : undefined))
      const responses = await Promise.all(tokens.map((token) => get(server.base, '/roles/editor', { token })))
      responses.forEach((response, i) => {
        if (i % 3 === 0) assertAnswer(response, BAD_SIGNATURE)
        else if (i % 3 === 1) assert.equal(response.status, 200)
        else assertAnswer(response, MISSING)
      })
    })
  })
}

describe('a plain node:http server (no Express)', () => {
  let server
  const errors = []
  before(async () => {
    const auth = createAuthMiddleware({
      secret: SECRET,
      issuer: ISSUER,
      audience: AUDIENCE,
      cookie: 'access_token',
      getUserInfo: (userId) => (userId === 'user-1' ? { email: 'plain@example.com' } : null),
    })
    const admin = requireRoles('admin')
    server = await listen((req, res) => {
      auth(req, res, (error) => {
        if (error) {
          errors.push(error)
          res.statusCode = 500
          res.end()
          return
        }
        const reply = () => {
          res.setHeader('content-type', 'application/json')
          res.end(JSON.stringify({ userId: req.user.userId, email: req.user.email }))
        }
        if (req.url === '/admin') admin(req, res, reply)
        else reply()
      })
    })
  })
  after(() => server.close())

  test('authenticates and answers 401/403 with the same bytes as under Express', async () => {
    const response = await get(server.base, '/', { token: TOKEN })
    assert.equal(response.status, 200, response.text)
    assert.deepEqual(response.json(), { userId: 'user-1', email: 'plain@example.com' })
    const fromCookie = await get(server.base, '/', { headers: { cookie: `access_token=${encodeURIComponent(TOKEN)}` } })
    assert.equal(fromCookie.status, 200, fromCookie.text)
    assertAnswer(await get(server.base, '/'), MISSING)
    assertAnswer(await get(server.base, '/', { token: EXPIRED_TOKEN }), EXPIRED)
    assertAnswer(await get(server.base, '/', { token: GHOST_TOKEN }), USER_NOT_FOUND)
    assertAnswer(await get(server.base, '/admin', { token: TOKEN }), MISSING_ROLE)
    assert.deepEqual(errors, [])
  })

  test('a HEAD request gets the status and headers without a body', async () => {
    const response = await fetch(`${server.base}/`, { method: 'HEAD' })
    assert.equal(response.status, 401)
    assert.equal(response.headers.get('www-authenticate'), 'Bearer')
    assert.equal(await response.text(), '')
  })
})

describe('API surface', () => {
  test('createAuthMiddleware from ferroauth and from ferroauth/express is one function', () => {
    assert.equal(ferroauth.createAuthMiddleware, createAuthMiddleware)
    assert.equal(require('../express.js').createAuthMiddleware, createAuthMiddleware)
    assert.deepEqual(Object.keys(require('ferroauth/express')), [
      'createAuthMiddleware',
      'requireScopes',
      'requireRoles',
      'setRefreshCookie',
      'clearRefreshCookie',
      'readRefreshCookie',
      'idempotency',
      'rateLimit',
    ])
  })

  test('ESM: named imports from ferroauth/express and ferroauth', async () => {
    const esm = await import('ferroauth/express')
    assert.equal(esm.createAuthMiddleware, createAuthMiddleware)
    assert.equal(esm.requireScopes, requireScopes)
    assert.equal(esm.requireRoles, requireRoles)
    assert.equal((await import('ferroauth')).createAuthMiddleware, createAuthMiddleware)
  })

  test('bad options are TypeErrors at creation, not on the first request', () => {
    const typeError = (fn, pattern) => assert.throws(fn, (error) => error instanceof TypeError && error.code === 'ERR_INVALID_ARG_TYPE' && pattern.test(error.message))
    typeError(() => createAuthMiddleware(), /^options must be an object, got undefined$/)
    typeError(() => createAuthMiddleware(null), /^options must be an object, got null$/)
    typeError(() => createAuthMiddleware({ secret: SECRET, requestProperty: '' }), /^options\.requestProperty must be a non-empty string/)
    typeError(() => createAuthMiddleware({ secret: SECRET, getUserInfo: 'yes' }), /^options\.getUserInfo must be a function, got string$/)
    typeError(() => createAuthMiddleware({ secret: SECRET, isRevoked: true }), /^options\.isRevoked must be a function/)
    typeError(() => createAuthMiddleware({ secret: SECRET, getToken: {} }), /^options\.getToken must be a function/)
    typeError(() => createAuthMiddleware({ secret: SECRET, cookie: 1 }), /^options\.cookie must be a cookie name/)
    typeError(() => createAuthMiddleware({ verifier: {} }), /^options\.verifier must be a TokenVerifier/)
    typeError(() => requireScopes(['a']), /^requireScopes\(\) arguments must be strings, got an array$/)
    typeError(() => requireRoles(1), /^requireRoles\(\) arguments must be strings, got number$/)
    assert.throws(() => createAuthMiddleware({}), { name: 'FerroAuthError', code: 'ERR_INVALID_OPTION' })
  })

  test('the middleware has the (req, res, next) shape Express and Connect expect', () => {
    const middleware = createAuthMiddleware({ secret: SECRET })
    assert.equal(typeof middleware, 'function')
    assert.equal(middleware.length, 3)
    assert.equal(requireScopes('a', 'b').name, 'requireScopes(a, b)')
    assert.equal(requireRoles('admin').length, 3)
  })

  test('without getUserInfo, isRevoked or an async getToken, the middleware decides synchronously', async () => {
    const middleware = createAuthMiddleware({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE })
    const req = { headers: { authorization: `Bearer ${TOKEN}` } }
    let nextCalls = 0
    middleware(req, {}, () => nextCalls++)
    assert.equal(nextCalls, 1, 'next() ran before the middleware returned')
    assert.equal(req.user.userId, 'user-1')
    // With a hook, the decision comes later, and still exactly once.
    const withHook = createAuthMiddleware({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE, isRevoked: () => false })
    const later = { headers: { authorization: `Bearer ${TOKEN}` } }
    let calls = 0
    await new Promise((resolve) => {
      withHook(later, {}, (...args) => {
        calls++
        assert.deepEqual(args, [])
        resolve()
      })
      assert.equal(calls, 0)
    })
    assert.equal(later.user.userId, 'user-1')
  })

  test('verified tokens are remembered by default (cache: false verifies every request), and never for longer than the token lives', async () => {
    const authenticated = (middleware, token) => {
      const req = { headers: { authorization: `Bearer ${token}` } }
      let passed = false
      middleware(req, {}, (error) => {
        assert.equal(error, undefined)
        passed = true
      })
      assert.ok(passed, 'the request passed')
      return req.user
    }
    const remembering = createAuthMiddleware({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE })
    const first = authenticated(remembering, TOKEN)
    const second = authenticated(remembering, TOKEN)
    assert.notEqual(first, second, 'each request gets a user object of its own')
    assert.equal(first.claims, second.claims, 'the verified claims are shared')
    assert.ok(Object.isFrozen(first.claims) && Object.isFrozen(first.claims.roles))
    // A different token with the same claims is verified on its own: a forged one fails.
    const [header, payload] = TOKEN.split('.')
    const forged = `${header}.${payload}.${Buffer.alloc(32, 7).toString('base64url')}`
    const res = { headers: {}, setHeader(name, value) { this.headers[name.toLowerCase()] = value }, end(body) { this.body = body } }
    remembering({ headers: { authorization: `Bearer ${forged}` } }, res, () => assert.fail('a forged signature passed'))
    assert.equal(res.statusCode, 401)
    assert.equal(res.headers['www-authenticate'], BAD_SIGNATURE.challenge)

    const verifying = createAuthMiddleware({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE, cache: false })
    const a = authenticated(verifying, TOKEN)
    const b = authenticated(verifying, TOKEN)
    assert.notEqual(a.claims, b.claims)
    assert.ok(!Object.isFrozen(a.claims))
    assert.deepEqual(a, { ...first, claims: { ...first.claims } })

    // Revocation is asked on every request, remembered token or not.
    const revoked = new Set()
    const withRevocation = createAuthMiddleware({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE, isRevoked: (claims) => revoked.has(claims.jti) })
    const call = (token) => new Promise((resolve) => {
      const res = { headers: {}, setHeader(name, value) { this.headers[name.toLowerCase()] = value }, end() { resolve(this.statusCode) } }
      withRevocation({ headers: { authorization: `Bearer ${token}` } }, res, () => resolve(200))
    })
    assert.equal(await call(REVOKED_TOKEN), 200)
    revoked.add('revoked-jti')
    assert.equal(await call(REVOKED_TOKEN), 401)

    // A remembered token is refused once it expires.
    const shortLived = new TokenSigner({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE, expiresIn: 1 }).sign({ sub: 'brief' })
    const exp = JSON.parse(Buffer.from(shortLived.split('.')[1], 'base64url')).exp
    assert.equal(authenticated(remembering, shortLived).userId, 'brief')
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50))
    const late = { headers: {}, setHeader(name, value) { this.headers[name.toLowerCase()] = value }, end(body) { this.body = body } }
    remembering({ headers: { authorization: `Bearer ${shortLived}` } }, late, () => assert.fail('an expired, remembered token passed'))
    assert.equal(late.statusCode, 401)
    assert.equal(late.body, EXPIRED.body)
  })

  test('requiring ferroauth or ferroauth/express loads neither Express nor NestJS', async () => {
    const script = [
      "require('ferroauth')",
      "require('ferroauth/express')",
      "const { createAuthMiddleware } = require('ferroauth')",
      "createAuthMiddleware({ secret: 'x'.repeat(32) })",
      'const loaded = Object.keys(require.cache).filter((file) => /[\\\\/]node_modules[\\\\/](express|express4|@nestjs|router|body-parser)[\\\\/]/.test(file))',
      'process.stdout.write(JSON.stringify({ loaded, total: Object.keys(require.cache).length }))',
    ].join('\n')
    const output = await new Promise((resolve, reject) => {
      execFile(process.execPath, ['-e', script], { cwd: ROOT, timeout: 30_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`))
        else resolve(stdout)
      })
    })
    const { loaded, total } = JSON.parse(output)
    assert.deepEqual(loaded, [])
    assert.ok(total > 3, 'the check saw the package load')
  })
})

describe('types', () => {
  test("test-d/express compiles under tsc --strict: the README snippets, `import 'ferroauth/express'` typing req.user", async () => {
    const { status, output } = await tsc(path.join(ROOT, 'test-d', 'express'))
    assert.equal(status, 0, `tsc -p test-d/express failed:\n${output}`)
  })
})
