'use strict'

// A small auth backend on Express, built only on ferroauth's public API, as an app of yours
// would be. Embedded defaults: no Redis, no database; one demo user kept in memory.
//
//   POST /auth/login     { email, password } -> { access_token, user } + refresh cookie;
//                        5 failed attempts a minute per address and email, then 429
//   POST /auth/refresh   refresh cookie -> { access_token } + the next refresh cookie
//   POST /auth/logout    refresh cookie -> ends that session, clears the cookie
//   GET  /auth/me        Authorization: Bearer <access_token> -> the user's profile
//   GET  /auth/sessions  Authorization: Bearer <access_token> -> the user's live sessions
//   POST /auth/business-details  Bearer + Idempotency-Key -> 201 { id, ... }, created once per key
//   GET  /health         public
//
// Run it with `npm run demo` from the repository root (that builds the addon first if needed),
// or `node examples/express-server/server.js` once it is built.

const crypto = require('node:crypto')
const express = require('express')
const {
  TokenSigner,
  ErrorCodes,
  hashPassword,
  verifyPasswordOrDummy,
  RefreshTokenManager,
  RateLimiter,
  MemoryStore,
} = require('ferroauth')
const {
  createAuthMiddleware,
  setRefreshCookie,
  readRefreshCookie,
  clearRefreshCookie,
  rateLimit,
  idempotency,
} = require('ferroauth/express')

const ISSUER = 'ferroauth-demo'
const AUDIENCE = 'ferroauth-demo-api'
const ACCESS_TOKEN_TTL = '15m'
const REFRESH_TOKEN_TTL = '7d'
// The refresh cookie goes to /auth/* only: /auth/refresh reads it, and /auth/logout must too.
const REFRESH_COOKIE = { path: '/auth' }

// The reference backend's login throttle: 5 attempts a minute. Here a successful login clears
// its key, so only failures count, per client address and email.
const LOGIN_LIMIT = { name: 'login', limit: 5, window: '1m' }
const BUSINESS_TYPES = ['ECOMMERCE', 'SAAS', 'AGENCY', 'RETAIL', 'OTHER']

const DEMO_EMAIL = 'demo@ferroauth.dev'
const DEMO_PASSWORD = 'Demo-Passw0rd!'

/** The in-memory user store: email -> user. The demo password is hashed once, here. */
async function createUserStore() {
  const demo = {
    id: 'usr_demo_0001',
    email: DEMO_EMAIL,
    firstName: 'Demo',
    lastName: 'User',
    status: 'ACTIVE',
    passwordHash: await hashPassword(DEMO_PASSWORD), // Argon2id, default (OWASP) costs
  }
  const byEmail = new Map([[demo.email, demo]])
  const byId = new Map([[demo.id, demo]])
  return {
    findByEmail: async (email) => byEmail.get(email.trim().toLowerCase()) ?? null,
    findById: async (id) => byId.get(id) ?? null,
  }
}

/** The problems with a business-details body, as 400 messages (none: valid). */
function businessProblems(body) {
  const { businessName, businessType, monthlyMessageVolume } = body ?? {}
  const problems = []
  if (typeof businessName !== 'string' || businessName.trim() === '' || businessName.length > 200) {
    problems.push('businessName must be a non-empty string of at most 200 characters')
  }
  if (!BUSINESS_TYPES.includes(businessType)) problems.push(`businessType must be one of ${BUSINESS_TYPES.join(', ')}`)
  if (!Number.isSafeInteger(monthlyMessageVolume) || monthlyMessageVolume < 0) {
    problems.push('monthlyMessageVolume must be a non-negative integer')
  }
  return problems
}

/**
 * Whether `password` is the user's. Without a user, the same Argon2id work runs against a
 * dummy hash, so a response's timing does not tell which emails exist. A password the hash
 * cannot check (over 4096 bytes; over 72 bytes against a bcrypt hash) counts as wrong.
 */
async function passwordMatches(user, password) {
  try {
    return await verifyPasswordOrDummy(user ? user.passwordHash : null, password)
  } catch (error) {
    if (error.code === ErrorCodes.ERR_PASSWORD_TOO_LARGE || error.code === ErrorCodes.ERR_PASSWORD_BCRYPT_TOO_LONG) return false
    throw error
  }
}

/** What the API shows of a user (never the password hash). */
const profileOf = (user) => ({
  id: user.id,
  email: user.email,
  firstName: user.firstName,
  lastName: user.lastName,
  status: user.status,
})

/** Nest-style error bodies, like the ones ferroauth answers 401s with. */
const ERROR_NAMES = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  413: 'Payload Too Large',
  503: 'Service Unavailable',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
}
function sendError(res, statusCode, message) {
  res.status(statusCode).json({ statusCode, message, error: ERROR_NAMES[statusCode] })
}

/**
 * Builds the Express app (resolves once the demo user's password is hashed). `secret` is the
 * HMAC key for access tokens; `refreshTtl` and `reuseGrace` are the refresh tokens' options.
 */
async function createApp({ secret, refreshTtl = REFRESH_TOKEN_TTL, reuseGrace = 0 }) {
  const users = await createUserStore()
  const signer = new TokenSigner({ secret, issuer: ISSUER, audience: AUDIENCE, expiresIn: ACCESS_TOKEN_TTL })
  // Sessions live in this process's memory: a restart logs everyone out. RedisStore keeps them
  // across restarts and processes.
  const sessions = new RefreshTokenManager({ store: new MemoryStore(), ttl: refreshTtl, reuseGrace })
  const accessTokenFor = (user) => signer.sign({ sub: user.id, email: user.email, scope: 'profile:read' })
  // Rate-limit logs and idempotency records: in memory too (a RedisStore shares them between processes).
  const store = new MemoryStore()
  const loginAttempts = new RateLimiter({ store, ...LOGIN_LIMIT })
  const loginKey = (req) => `${req.ip}|${String(req.body?.email ?? '').trim().toLowerCase()}`
  const businesses = new Map() // id -> business details

  const authMiddleware = createAuthMiddleware({
    secret,
    issuer: ISSUER,
    audience: AUDIENCE,
    // The token says who; the store says whether they still exist and what they look like now.
    getUserInfo: async (userId) => {
      const user = await users.findById(userId)
      return user ? profileOf(user) : null
    },
  })

  const app = express()
  app.disable('x-powered-by')
  app.use(express.json({ limit: '10kb' }))

  app.get('/health', (req, res) => {
    res.json({ status: 'ok' })
  })

  app.post('/auth/login', rateLimit({ store, ...LOGIN_LIMIT, key: loginKey }), async (req, res, next) => {
    try {
      const { email, password } = req.body ?? {}
      const problems = []
      if (typeof email !== 'string' || email.trim() === '') problems.push('email must be a non-empty string')
      if (typeof password !== 'string' || password === '') problems.push('password must be a non-empty string')
      if (problems.length > 0) return sendError(res, 400, problems)

      const user = await users.findByEmail(email)
      const matches = await passwordMatches(user, password)
      if (!user || !matches) return sendError(res, 401, 'Invalid email or password')

      await loginAttempts.reset(loginKey(req))
      const session = await sessions.issue(user.id, req) // records User-Agent and IP
      setRefreshCookie(res, session, REFRESH_COOKIE)
      res.json({ access_token: accessTokenFor(user), user: profileOf(user) })
    } catch (error) {
      next(error)
    }
  })

  // Every refresh rotates: the cookie's token is spent and a new one replaces it. Presenting a
  // spent token again ends the whole session (ERR_REFRESH_REUSED): someone else has a copy.
  app.post('/auth/refresh', async (req, res, next) => {
    try {
      const rotated = await sessions.rotate(readRefreshCookie(req, REFRESH_COOKIE), req)
      const user = await users.findById(rotated.userId)
      if (!user) {
        await sessions.revokeAllForUser(rotated.userId)
        clearRefreshCookie(res, REFRESH_COOKIE)
        return sendError(res, 401, 'User not found')
      }
      setRefreshCookie(res, rotated, REFRESH_COOKIE)
      res.json({ access_token: accessTokenFor(user) })
    } catch (error) {
      if (error.code === ErrorCodes.ERR_STORE_UNAVAILABLE) return sendError(res, 503, 'Sessions are unavailable; try again')
      if (!error.code?.startsWith('ERR_REFRESH_')) return next(error)
      clearRefreshCookie(res, REFRESH_COOKIE)
      sendError(res, 401, error.message)
    }
  })

  // Logging out always succeeds for the client: a missing, spent or unknown cookie has no
  // session left to end, and the cookie is cleared either way.
  app.post('/auth/logout', async (req, res, next) => {
    try {
      const token = readRefreshCookie(req, REFRESH_COOKIE)
      let ended = false
      if (token !== undefined) {
        ended = await sessions.revoke(token).catch((error) => {
          if (error.code?.startsWith('ERR_REFRESH_')) return false
          throw error
        })
      }
      clearRefreshCookie(res, REFRESH_COOKIE)
      res.json({ ok: true, sessionEnded: ended })
    } catch (error) {
      next(error)
    }
  })

  app.get('/auth/sessions', authMiddleware, async (req, res, next) => {
    try {
      res.json({ sessions: await sessions.listSessions(req.user.userId) })
    } catch (error) {
      next(error)
    }
  })

  // A double-clicked submit, or a retry after a lost answer, sends the same Idempotency-Key:
  // the business is created once and the first answer is replayed (Idempotent-Replayed: true).
  // Keys are kept per user for 10 minutes; the same key with another body is a 409.
  app.post('/auth/business-details', authMiddleware, idempotency({ store, required: true }), (req, res) => {
    const problems = businessProblems(req.body)
    if (problems.length > 0) return sendError(res, 400, problems)
    const { businessName, businessType, monthlyMessageVolume } = req.body
    const business = {
      id: `biz_${crypto.randomBytes(8).toString('hex')}`,
      userId: req.user.userId,
      businessName: businessName.trim(),
      businessType,
      monthlyMessageVolume,
      createdAt: new Date().toISOString(),
    }
    businesses.set(business.id, business)
    res.status(201).json(business)
  })

  app.get('/auth/me', authMiddleware, (req, res) => {
    const { userId, email, firstName, lastName, status, scopes } = req.user
    res.json({ id: userId, email, firstName, lastName, status, scopes })
  })

  app.use((req, res) => {
    sendError(res, 404, `Cannot ${req.method} ${req.path}`)
  })

  // express.json() reports a bad body with a 4xx `status`; anything else is a 500.
  app.use((error, req, res, next) => {
    if (res.headersSent) return next(error)
    const status = error.status ?? error.statusCode
    if (status === 400 || status === 413 || status === 415) {
      return sendError(res, status, status === 400 ? 'Request body is not valid JSON' : error.message)
    }
    console.error(error)
    sendError(res, 500, 'Internal server error')
  })

  return app
}

function curlCommands(base) {
  const login = `curl -s -X POST ${base}/auth/login -H 'content-type: application/json' ` +
    `-d '{"email":"${DEMO_EMAIL}","password":"${DEMO_PASSWORD}"}'`
  const accessToken = `node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token'`
  const business = (name) =>
    `curl -si -X POST ${base}/auth/business-details -H "authorization: Bearer $TOKEN" -H "idempotency-key: $KEY" ` +
    `-H 'content-type: application/json' -d '{"businessName":"${name}","businessType":"SAAS","monthlyMessageVolume":1000}'`
  return [
    '# log in as the demo user:',
    login,
    '',
    '# keep the access token and call the guarded route with it:',
    `TOKEN=$(${login} | ${accessToken})`,
    `curl -s ${base}/auth/me -H "authorization: Bearer $TOKEN"`,
    '',
    '# the refresh cookie: log in with a cookie jar, refresh (rotates the cookie), list sessions, log out:',
    `${login.replace('curl -s', 'curl -s -c jar.txt')} > /dev/null`,
    `TOKEN=$(curl -s -b jar.txt -c jar.txt -X POST ${base}/auth/refresh | ${accessToken})`,
    `curl -s ${base}/auth/sessions -H "authorization: Bearer $TOKEN"`,
    `curl -s -b jar.txt -c jar.txt -X POST ${base}/auth/logout`,
    `curl -si -b jar.txt -X POST ${base}/auth/refresh`,
    '',
    '# idempotency: the same key and body twice creates one business; the second answer is replayed',
    '# (Idempotent-Replayed: true); the same key with another body is a 409:',
    `KEY=$(node -p 'crypto.randomUUID()')`,
    `${business('Acme')}`,
    `${business('Acme')}`,
    `${business('Other')}`,
    '',
    '# 401s: no token, a token that is not one, a wrong password:',
    `curl -si ${base}/auth/me`,
    `curl -si ${base}/auth/me -H 'authorization: Bearer not-a-token'`,
    `curl -si -X POST ${base}/auth/login -H 'content-type: application/json' -d '{"email":"${DEMO_EMAIL}","password":"wrong"}'`,
    '',
    '# login throttling: five failed logins a minute per address and email, then 429 (a successful login clears the count):',
    `for i in 1 2 3 4 5 6; do curl -s -o /dev/null -w '%{http_code} ' -X POST ${base}/auth/login -H 'content-type: application/json' -d '{"email":"${DEMO_EMAIL}","password":"wrong"}'; done; echo`,
  ]
}

/** Starts the server on HOST:PORT (default 127.0.0.1:3000; PORT=0 picks a free port); resolves the http.Server. */
async function start({ port = process.env.PORT || 3000, host = process.env.HOST || '127.0.0.1' } = {}) {
  let secret = process.env.JWT_ACCESS_SECRET
  const generated = secret === undefined || secret === ''
  if (generated) secret = crypto.randomBytes(32).toString('base64url')
  const app = await createApp({ secret })

  const server = app.listen(Number(port), host, () => {
    const { port: actualPort } = server.address()
    const base = `http://${host}:${actualPort}`
    const lines = [
      `ferroauth demo listening on ${base}`,
      generated
        ? 'Note: JWT_ACCESS_SECRET is not set, so a random secret was generated for this run; tokens stop working when the server restarts.'
        : 'Using the secret in JWT_ACCESS_SECRET.',
      `Demo user: ${DEMO_EMAIL} / ${DEMO_PASSWORD}`,
      '',
      'Try:',
      '',
      ...curlCommands(base),
      '',
      'Ctrl+C stops the server.',
    ]
    console.log(lines.join('\n'))
  })
  server.on('error', (error) => {
    console.error(`Could not start the demo on ${host}:${port}: ${error.message}`)
    process.exitCode = 1
  })

  const stop = () => {
    server.close(() => process.exit(0))
    server.closeAllConnections()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  return server
}

module.exports = { createApp, start, DEMO_EMAIL, DEMO_PASSWORD }

if (require.main === module) {
  start().catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}
