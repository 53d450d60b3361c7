'use strict'

// setRefreshCookie / clearRefreshCookie against real Express 4 and 5 apps, a NestJS app and a
// plain node:http server, over real HTTP on 127.0.0.1 driven with fetch. Every Set-Cookie line
// is checked byte for byte, in development and in production. The helpers' clock is frozen
// with node:test's Date mock, only around the call, so that Expires is known; the native core
// (RefreshTokenManager) keeps its own, real clock.

const { test, describe, before, after, mock } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const net = require('node:net')

require('reflect-metadata')
const { Controller, Module, Post, Req, Res, HttpCode } = require('@nestjs/common')
const { NestFactory } = require('@nestjs/core')

// Through the package's own name, as an app would (self-reference via the exports map).
const { setRefreshCookie, clearRefreshCookie, readRefreshCookie } = require('ferroauth/express')
const ferroauth = require('ferroauth')
const nest = require('ferroauth/nestjs')
const { RefreshTokenManager, MemoryStore, FerroAuthError, createRefreshToken } = ferroauth

const EXPRESS_VERSIONS = [
  ['Express 4', require('express4')],
  ['Express 5', require('express')],
]

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0) // Thu, 01 Jan 2026 12:00:00 GMT
const HOUR = 3_600_000
const DAY = 24 * HOUR
const TOKEN = createRefreshToken().token // 'frt_' + 92 base64url characters, as issue() gives
const EPOCH = 'Thu, 01 Jan 1970 00:00:00 GMT'

// ---- helpers ---------------------------------------------------------------------------------

/** Runs `fn` with NODE_ENV set to `env` (deleted for undefined), then puts it back. */
function withEnv(env, fn) {
  const saved = process.env.NODE_ENV
  if (env === undefined) delete process.env.NODE_ENV
  else process.env.NODE_ENV = env
  try {
    return fn()
  } finally {
    if (saved === undefined) delete process.env.NODE_ENV
    else process.env.NODE_ENV = saved
  }
}

/** Runs `fn` with `Date` frozen at NOW (only `fn`: fetch and the servers keep the real clock). */
function atNow(fn) {
  mock.timers.enable({ apis: ['Date'], now: NOW })
  try {
    return fn()
  } finally {
    mock.timers.reset()
  }
}

/** Starts `handler` (an Express app or a node:http listener) on 127.0.0.1, on a free port. */
function listen(handler) {
  return new Promise((resolve, reject) => {
    const server = http.createServer(handler)
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      resolve({
        base: `http://127.0.0.1:${server.address().port}`,
        close: () =>
          new Promise((done) => {
            server.close(done)
            server.closeAllConnections()
          }),
      })
    })
  })
}

async function request(base, route, { method = 'GET', cookie } = {}) {
  const response = await fetch(`${base}${route}`, { method, headers: cookie === undefined ? {} : { cookie } })
  const text = await response.text()
  return { status: response.status, text, setCookie: response.headers.getSetCookie() }
}

/** A response that is not connected to anything, for the argument checks. */
function detachedResponse() {
  return new http.ServerResponse(new http.IncomingMessage(new net.Socket()))
}

/** The value of cookie `name` in Set-Cookie `lines`, as a browser would send it back. */
function cookieFrom(lines, name) {
  const line = lines.find((l) => l.startsWith(`${name}=`))
  assert.ok(line, `no ${name} cookie in ${JSON.stringify(lines)}`)
  return line.slice(name.length + 1, line.indexOf(';'))
}

// ---- the cases every server runs -------------------------------------------------------------

const DEV_LINE = `rt=${TOKEN}; Max-Age=604800; Path=/auth/refresh; Expires=Thu, 08 Jan 2026 12:00:00 GMT; HttpOnly; SameSite=Lax`
const PROD_LINE = `rt=${TOKEN}; Max-Age=604800; Path=/auth/refresh; Expires=Thu, 08 Jan 2026 12:00:00 GMT; HttpOnly; Secure; SameSite=None`

/** name → { env, run(res), lines }: what the handler does at NOW and the Set-Cookie lines expected. */
const CASES = {
  'development defaults: HttpOnly, SameSite=Lax, no Secure, Path /auth/refresh, 7 days': {
    env: 'development',
    run: (res) => setRefreshCookie(res, TOKEN),
    lines: [DEV_LINE],
  },
  'no NODE_ENV is development': {
    env: undefined,
    run: (res) => setRefreshCookie(res, TOKEN),
    lines: [DEV_LINE],
  },
  'NODE_ENV=test is development': {
    env: 'test',
    run: (res) => setRefreshCookie(res, TOKEN),
    lines: [DEV_LINE],
  },
  'production defaults: Secure and SameSite=None': {
    env: 'production',
    run: (res) => setRefreshCookie(res, TOKEN),
    lines: [PROD_LINE],
  },
  'production with name, path, domain and maxAge as a duration string': {
    env: 'production',
    run: (res) => setRefreshCookie(res, TOKEN, { name: 'refresh_token', path: '/', domain: '.example.com', maxAge: '15m' }),
    lines: [
      `refresh_token=${TOKEN}; Max-Age=900; Domain=.example.com; Path=/; Expires=Thu, 01 Jan 2026 12:15:00 GMT; HttpOnly; Secure; SameSite=None`,
    ],
  },
  'development with explicit secure, sameSite (any case) and fractional maxAge seconds (rounded down)': {
    env: 'development',
    run: (res) => setRefreshCookie(res, TOKEN, { secure: true, sameSite: 'Strict', maxAge: 3600.9 }),
    lines: [`rt=${TOKEN}; Max-Age=3600; Path=/auth/refresh; Expires=Thu, 01 Jan 2026 13:00:00 GMT; HttpOnly; Secure; SameSite=Strict`],
  },
  "production with sameSite: 'lax' keeps Secure": {
    env: 'production',
    run: (res) => setRefreshCookie(res, TOKEN, { sameSite: 'lax' }),
    lines: [`rt=${TOKEN}; Max-Age=604800; Path=/auth/refresh; Expires=Thu, 08 Jan 2026 12:00:00 GMT; HttpOnly; Secure; SameSite=Lax`],
  },
  "production with secure: false and sameSite: 'lax'": {
    env: 'production',
    run: (res) => setRefreshCookie(res, TOKEN, { secure: false, sameSite: 'lax' }),
    lines: [DEV_LINE],
  },
  'the object issue() resolves with: Max-Age and Expires from its expiresAt (a Date, milliseconds dropped)': {
    env: 'development',
    run: (res) => setRefreshCookie(res, { token: TOKEN, familyId: 'family', expiresAt: new Date(NOW + 30 * DAY + 500) }),
    lines: [`rt=${TOKEN}; Max-Age=2592000; Path=/auth/refresh; Expires=Sat, 31 Jan 2026 12:00:00 GMT; HttpOnly; SameSite=Lax`],
  },
  'an object whose expiresAt is milliseconds since the epoch': {
    env: 'production',
    run: (res) => setRefreshCookie(res, { token: TOKEN, expiresAt: NOW + HOUR }),
    lines: [`rt=${TOKEN}; Max-Age=3600; Path=/auth/refresh; Expires=Thu, 01 Jan 2026 13:00:00 GMT; HttpOnly; Secure; SameSite=None`],
  },
  "an explicit maxAge wins over the object's expiresAt": {
    env: 'development',
    run: (res) => setRefreshCookie(res, { token: TOKEN, expiresAt: NOW + HOUR }, { maxAge: '1d' }),
    lines: [`rt=${TOKEN}; Max-Age=86400; Path=/auth/refresh; Expires=Fri, 02 Jan 2026 12:00:00 GMT; HttpOnly; SameSite=Lax`],
  },
  'expires as a Date': {
    env: 'development',
    run: (res) => setRefreshCookie(res, TOKEN, { expires: new Date(NOW + 2 * HOUR) }),
    lines: [`rt=${TOKEN}; Max-Age=7200; Path=/auth/refresh; Expires=Thu, 01 Jan 2026 14:00:00 GMT; HttpOnly; SameSite=Lax`],
  },
  'maxAge as a number of seconds (e.g. manager.ttl)': {
    env: 'production',
    run: (res) => setRefreshCookie(res, TOKEN, { maxAge: 1209600 }),
    lines: [`rt=${TOKEN}; Max-Age=1209600; Path=/auth/refresh; Expires=Thu, 15 Jan 2026 12:00:00 GMT; HttpOnly; Secure; SameSite=None`],
  },
  'a __Host- cookie in production': {
    env: 'production',
    run: (res) => setRefreshCookie(res, TOKEN, { name: '__Host-rt', path: '/' }),
    lines: [`__Host-rt=${TOKEN}; Max-Age=604800; Path=/; Expires=Thu, 08 Jan 2026 12:00:00 GMT; HttpOnly; Secure; SameSite=None`],
  },
  'Set-Cookie lines already set stay (a string, or a list with the same name on another path)': {
    env: 'development',
    run: (res) => {
      res.setHeader('Set-Cookie', 'csrf=abc; Path=/; SameSite=Strict')
      setRefreshCookie(res, TOKEN)
    },
    lines: ['csrf=abc; Path=/; SameSite=Strict', DEV_LINE],
  },
  'the same name on another path, or on another domain, stays': {
    env: 'development',
    run: (res) => {
      res.setHeader('Set-Cookie', ['theme=dark; Path=/', 'rt=old; Path=/', 'rt=sub; Path=/auth/refresh; Domain=example.com'])
      setRefreshCookie(res, TOKEN)
    },
    lines: ['theme=dark; Path=/', 'rt=old; Path=/', 'rt=sub; Path=/auth/refresh; Domain=example.com', DEV_LINE],
  },
  'an earlier line for the same name, path and domain is replaced (attribute names in any case, leading dot)': {
    env: 'production',
    run: (res) => {
      res.setHeader('Set-Cookie', [
        'a=1',
        'rt=stale; domain=.EXAMPLE.com; path=/auth/refresh; HttpOnly',
        'rt=api; Domain=api.example.com; Path=/auth/refresh',
        'rt=nopath; Domain=example.com',
      ])
      setRefreshCookie(res, 'frt_first', { domain: 'example.com' })
      setRefreshCookie(res, TOKEN, { domain: 'example.com', maxAge: 60 })
    },
    lines: [
      'a=1',
      'rt=api; Domain=api.example.com; Path=/auth/refresh',
      'rt=nopath; Domain=example.com',
      `rt=${TOKEN}; Max-Age=60; Domain=example.com; Path=/auth/refresh; Expires=Thu, 01 Jan 2026 12:01:00 GMT; HttpOnly; Secure; SameSite=None`,
    ],
  },
  'clear in development: empty value, Max-Age=0, Expires in 1970, the same attributes': {
    env: 'development',
    run: (res) => clearRefreshCookie(res),
    lines: [`rt=; Max-Age=0; Path=/auth/refresh; Expires=${EPOCH}; HttpOnly; SameSite=Lax`],
  },
  'clear in production with the options used to set it (maxAge ignored)': {
    env: 'production',
    run: (res) => clearRefreshCookie(res, { domain: 'example.com', path: '/auth', maxAge: '7d' }),
    lines: [`rt=; Max-Age=0; Domain=example.com; Path=/auth; Expires=${EPOCH}; HttpOnly; Secure; SameSite=None`],
  },
  'clear after set on the same response replaces it and keeps the others': {
    env: 'production',
    run: (res) => {
      res.setHeader('Set-Cookie', ['session=1; Path=/'])
      setRefreshCookie(res, TOKEN, { name: 'refresh' })
      clearRefreshCookie(res, { name: 'refresh' })
    },
    lines: ['session=1; Path=/', `refresh=; Max-Age=0; Path=/auth/refresh; Expires=${EPOCH}; HttpOnly; Secure; SameSite=None`],
  },
}

/** Express only: res.cookie before and after, and an rt cookie Express wrote, which ours replaces. */
const EXPRESS_CASES = {
  "res.cookie lines before and after stay; Express's own rt line on the same path is replaced": {
    env: 'development',
    run: (res) => {
      res.cookie('before', '1')
      res.cookie('rt', 'from-express', { path: '/auth/refresh' })
      setRefreshCookie(res, TOKEN)
      res.cookie('after', '2', { path: '/x' })
    },
    lines: ['before=1; Path=/', DEV_LINE, 'after=2; Path=/x'],
  },
}

/** Runs the case named by the request path at NOW, under its NODE_ENV. */
function runCase(cases, req, res) {
  const named = cases[decodeURIComponent(req.url.slice(1))]
  if (named === undefined) {
    res.statusCode = 404
    return
  }
  withEnv(named.env, () => atNow(() => named.run(res)))
}

function expressApp(express) {
  const app = express()
  const cases = { ...CASES, ...EXPRESS_CASES }
  app.use((req, res) => {
    runCase(cases, req, res)
    res.send('ok')
  })
  return app
}

function plainHandler(req, res) {
  runCase(CASES, req, res)
  res.end('ok')
}

const SERVERS = [
  ...EXPRESS_VERSIONS.map(([label, express]) => [label, () => expressApp(express), { ...CASES, ...EXPRESS_CASES }]),
  ['node:http', () => plainHandler, CASES],
]

for (const [label, makeHandler, cases] of SERVERS) {
  describe(`${label}: exact Set-Cookie lines`, () => {
    let server
    before(async () => {
      server = await listen(makeHandler())
    })
    after(() => server.close())

    for (const [name, { lines }] of Object.entries(cases)) {
      test(name, async () => {
        const response = await request(server.base, `/${encodeURIComponent(name)}`)
        assert.equal(response.status, 200)
        assert.equal(response.text, 'ok')
        assert.deepEqual(response.setCookie, lines)
      })
    }
  })
}

// ---- with the RefreshTokenManager, over a login → refresh → logout round trip ---------------

for (const [label, express] of EXPRESS_VERSIONS) {
  describe(`${label}: login, refresh and logout with RefreshTokenManager`, () => {
    const TTL = 14 * 86_400
    const refresh = new RefreshTokenManager({ store: new MemoryStore(), ttl: '14d' })
    // The default path reaches /auth/refresh only: logout needs the cookie too, so both share /auth.
    const cookieOptions = { path: '/auth' }
    let server

    const answer = (res, session) => res.json({ userId: session.userId ?? 'user-7', expiresAt: session.expiresAt.getTime() })

    before(async () => {
      const app = express()
      app.post('/auth/login', async (req, res, next) => {
        try {
          const issued = await refresh.issue('user-7', req)
          setRefreshCookie(res, issued, cookieOptions)
          answer(res, issued)
        } catch (error) {
          next(error)
        }
      })
      app.post('/auth/refresh', async (req, res) => {
        try {
          const rotated = await refresh.rotate(readRefreshCookie(req, cookieOptions), req)
          setRefreshCookie(res, rotated, cookieOptions)
          answer(res, rotated)
        } catch (error) {
          clearRefreshCookie(res, cookieOptions)
          res.status(401).json({ code: error.code })
        }
      })
      app.post('/auth/logout', async (req, res) => {
        const token = readRefreshCookie(req, cookieOptions)
        const revoked = token === undefined ? false : await refresh.revoke(token)
        clearRefreshCookie(res, cookieOptions)
        res.json({ revoked })
      })
      server = await listen(app)
    })
    after(() => server.close())

    /** Checks one Set-Cookie line from the manager's token; Max-Age counts from the real clock. */
    function assertSessionCookie(lines, body) {
      assert.equal(lines.length, 1, JSON.stringify(lines))
      const match = /^rt=(frt_[A-Za-z0-9_-]{92}); Max-Age=(\d+); Path=\/auth; Expires=([^;]+); HttpOnly; SameSite=Lax$/.exec(lines[0])
      assert.ok(match, lines[0])
      assert.equal(match[3], new Date(body.expiresAt).toUTCString())
      const maxAge = Number(match[2])
      assert.ok(maxAge <= TTL && maxAge >= TTL - 5, `Max-Age ${maxAge} is not the 14-day ttl`)
      return match[1]
    }

    test('the cookie carries the issued token with its expiry; rotation replaces it; reuse and logout clear it', async () => {
      await withEnv('development', async () => {
        const login = await request(server.base, '/auth/login', { method: 'POST' })
        assert.equal(login.status, 200)
        const first = assertSessionCookie(login.setCookie, JSON.parse(login.text))

        const rotated = await request(server.base, '/auth/refresh', { method: 'POST', cookie: `rt=${first}` })
        assert.equal(rotated.status, 200, rotated.text)
        const second = assertSessionCookie(rotated.setCookie, JSON.parse(rotated.text))
        assert.notEqual(second, first)
        assert.equal(JSON.parse(rotated.text).expiresAt, JSON.parse(login.text).expiresAt, 'rotation keeps the session end')

        const CLEARED = `rt=; Max-Age=0; Path=/auth; Expires=${EPOCH}; HttpOnly; SameSite=Lax`
        const reused = await request(server.base, '/auth/refresh', { method: 'POST', cookie: `rt=${first}` })
        assert.deepEqual({ status: reused.status, text: reused.text, setCookie: reused.setCookie }, {
          status: 401,
          text: JSON.stringify({ code: 'ERR_REFRESH_REUSED' }),
          setCookie: [CLEARED],
        })

        const again = await request(server.base, '/auth/login', { method: 'POST' })
        const third = cookieFrom(again.setCookie, 'rt')
        const logout = await request(server.base, '/auth/logout', { method: 'POST', cookie: `theme=dark; rt=${third}` })
        assert.deepEqual({ status: logout.status, text: logout.text, setCookie: logout.setCookie }, {
          status: 200,
          text: JSON.stringify({ revoked: true }),
          setCookie: [CLEARED],
        })
      })
    })
  })
}

// ---- NestJS: @Res({ passthrough: true }) --------------------------------------------------

describe('NestJS with @Res({ passthrough: true })', () => {
  let app
  let base

  before(async () => {
    // The controller of the reference setup, decorated by hand (this file is plain JavaScript).
    class AuthController {
      login(req, res) {
        withEnv('production', () => atNow(() => nest.setRefreshCookie(res, TOKEN)))
        return { accessToken: 'access-token' }
      }

      logout(res) {
        withEnv('production', () => atNow(() => nest.clearRefreshCookie(res)))
        return { ok: true }
      }
    }
    const method = (name, ...decorators) => {
      const descriptor = Object.getOwnPropertyDescriptor(AuthController.prototype, name)
      for (const decorate of decorators) decorate(AuthController.prototype, name, descriptor)
    }
    Req()(AuthController.prototype, 'login', 0)
    Res({ passthrough: true })(AuthController.prototype, 'login', 1)
    Res({ passthrough: true })(AuthController.prototype, 'logout', 0)
    method('login', Post('login'))
    method('logout', Post('logout'), HttpCode(200))
    Controller('auth')(AuthController)
    class AppModule {}
    Module({ controllers: [AuthController] })(AppModule)

    app = await NestFactory.create(AppModule, { logger: false, forceCloseConnections: true })
    await app.listen(0, '127.0.0.1')
    base = `http://127.0.0.1:${app.getHttpServer().address().port}`
  })
  after(() => app.close())

  test('login sets the production cookie and the handler still returns the body', async () => {
    const response = await request(base, '/auth/login', { method: 'POST' })
    assert.deepEqual(response, {
      status: 201,
      text: JSON.stringify({ accessToken: 'access-token' }),
      setCookie: [PROD_LINE],
    })
  })

  test('logout clears it', async () => {
    const response = await request(base, '/auth/logout', { method: 'POST' })
    assert.deepEqual(response, {
      status: 200,
      text: JSON.stringify({ ok: true }),
      setCookie: [`rt=; Max-Age=0; Path=/auth/refresh; Expires=${EPOCH}; HttpOnly; Secure; SameSite=None`],
    })
  })
})

// ---- bad input ---------------------------------------------------------------------------

const TYPE = 'ERR_INVALID_ARG_TYPE'
const OPTION = 'ERR_INVALID_OPTION'
const NOT_A_DURATION = (text) =>
  `options.maxAge: ${JSON.stringify(text)} is not a duration (use seconds, or a string like "30s", "15m", "12h", "7d")`
const BAD_TOKEN = 'token: holds characters a cookie value cannot (whitespace, control characters, ", comma, ; or \\)'

/** [what, env, call(res), code, message]: each throws before writing any header. */
const BAD_INPUT = [
  ['res is undefined', 'development', () => setRefreshCookie(undefined, TOKEN), TYPE, 'res must be a response (Express, NestJS over Express, or node:http), got undefined'],
  ['res is a plain object', 'development', () => setRefreshCookie({}, TOKEN), TYPE, 'res must be a response (Express, NestJS over Express, or node:http), got object'],
  ['res has no setHeader', 'development', () => clearRefreshCookie({ getHeader() {} }), TYPE, 'res must be a response (Express, NestJS over Express, or node:http), got object'],
  ['token is a number', 'development', (res) => setRefreshCookie(res, 42), TYPE, 'token must be a string or an object { token, expiresAt }, got number'],
  ['token is null', 'development', (res) => setRefreshCookie(res, null), TYPE, 'token must be a string or an object { token, expiresAt }, got null'],
  ['token is an array', 'development', (res) => setRefreshCookie(res, [TOKEN]), TYPE, 'token must be a string or an object { token, expiresAt }, got an array'],
  ['token.token is not a string', 'development', (res) => setRefreshCookie(res, { token: 1, expiresAt: NOW + DAY }), TYPE, 'token.token must be a string, got number'],
  ['token.expiresAt is missing', 'development', (res) => setRefreshCookie(res, { token: TOKEN }), TYPE, 'token.expiresAt must be a Date or a number (milliseconds since the epoch), got undefined'],
  ['token.expiresAt is a string', 'development', (res) => setRefreshCookie(res, { token: TOKEN, expiresAt: '2030-01-01' }), TYPE, 'token.expiresAt must be a Date or a number (milliseconds since the epoch), got string'],
  ['token is empty', 'development', (res) => setRefreshCookie(res, ''), OPTION, 'token: is empty'],
  ['token has a space', 'development', (res) => setRefreshCookie(res, 'frt_a b'), OPTION, BAD_TOKEN],
  ['token has a semicolon', 'development', (res) => setRefreshCookie(res, 'frt_a;Domain=evil.com'), OPTION, BAD_TOKEN],
  ['token has a comma', 'development', (res) => setRefreshCookie(res, 'frt_a,b'), OPTION, BAD_TOKEN],
  ['token has a double quote', 'development', (res) => setRefreshCookie(res, '"frt_a"'), OPTION, BAD_TOKEN],
  ['token has a backslash', 'development', (res) => setRefreshCookie(res, 'frt_a\\b'), OPTION, BAD_TOKEN],
  ['token has CR LF', 'development', (res) => setRefreshCookie(res, 'frt_a\r\nSet-Cookie: x=1'), OPTION, BAD_TOKEN],
  ['token has a tab', 'development', (res) => setRefreshCookie(res, 'frt_a\tb'), OPTION, BAD_TOKEN],
  ['token has DEL', 'development', (res) => setRefreshCookie(res, 'frt_a\x7f'), OPTION, BAD_TOKEN],
  ['token is not ASCII', 'development', (res) => setRefreshCookie(res, 'frt_é'), OPTION, BAD_TOKEN],
  ['token.token has a semicolon', 'development', (res) => setRefreshCookie(res, { token: 'a;b', expiresAt: NOW + DAY }), OPTION, BAD_TOKEN],
  ['name and value over 4096 bytes', 'development', (res) => setRefreshCookie(res, 'a'.repeat(4094)), OPTION, "token: the cookie's name and value exceed 4096 bytes, which browsers drop"],
  ['options is a string', 'development', (res) => setRefreshCookie(res, TOKEN, 'rt'), TYPE, 'options must be an object, got string'],
  ['options is null', 'development', (res) => setRefreshCookie(res, TOKEN, null), TYPE, 'options must be an object, got null'],
  ['clear options is a string', 'development', (res) => clearRefreshCookie(res, TOKEN), TYPE, 'options must be an object, got string'],
  ['httpOnly: false', 'development', (res) => setRefreshCookie(res, TOKEN, { httpOnly: false }), OPTION, 'options.httpOnly: unknown option (refresh cookies are always HttpOnly)'],
  ['a misspelt option', 'development', (res) => clearRefreshCookie(res, { samesite: 'strict' }), OPTION, 'options.samesite: unknown option (the options are name, path, domain, secure, sameSite, maxAge, expires)'],
  ['name is a number', 'development', (res) => setRefreshCookie(res, TOKEN, { name: 1 }), TYPE, 'options.name must be a string, got number'],
  ['name is empty', 'development', (res) => setRefreshCookie(res, TOKEN, { name: '' }), OPTION, `options.name: "" is not a cookie name (letters, digits and !#$%&'*+-.^_\`|~)`],
  ['name has a space', 'development', (res) => setRefreshCookie(res, TOKEN, { name: 'r t' }), OPTION, `options.name: "r t" is not a cookie name (letters, digits and !#$%&'*+-.^_\`|~)`],
  ['name has =', 'development', (res) => clearRefreshCookie(res, { name: 'r=t' }), OPTION, `options.name: "r=t" is not a cookie name (letters, digits and !#$%&'*+-.^_\`|~)`],
  ['name has a separator', 'development', (res) => setRefreshCookie(res, TOKEN, { name: '(rt)' }), OPTION, `options.name: "(rt)" is not a cookie name (letters, digits and !#$%&'*+-.^_\`|~)`],
  ['name is not ASCII', 'development', (res) => setRefreshCookie(res, TOKEN, { name: 'rté' }), OPTION, `options.name: "rté" is not a cookie name (letters, digits and !#$%&'*+-.^_\`|~)`],
  ['__Secure- without Secure', 'development', (res) => setRefreshCookie(res, TOKEN, { name: '__Secure-rt' }), OPTION, 'options.name: a __Secure- cookie needs secure: true'],
  ['__Host- without Secure', 'development', (res) => clearRefreshCookie(res, { name: '__Host-rt', path: '/' }), OPTION, 'options.name: a __Host- cookie needs secure: true'],
  ['__Host- on a narrower path', 'production', (res) => setRefreshCookie(res, TOKEN, { name: '__Host-rt' }), OPTION, "options.name: a __Host- cookie needs path: '/' and no domain"],
  ['__Host- with a domain', 'production', (res) => setRefreshCookie(res, TOKEN, { name: '__host-rt', path: '/', domain: 'example.com' }), OPTION, "options.name: a __Host- cookie needs path: '/' and no domain"],
  ['path is a number', 'development', (res) => setRefreshCookie(res, TOKEN, { path: 1 }), TYPE, 'options.path must be a string, got number'],
  ['path is empty', 'development', (res) => setRefreshCookie(res, TOKEN, { path: '' }), OPTION, 'options.path: "" must start with "/" and hold printable ASCII other than ";"'],
  ['path is relative', 'development', (res) => setRefreshCookie(res, TOKEN, { path: 'auth/refresh' }), OPTION, 'options.path: "auth/refresh" must start with "/" and hold printable ASCII other than ";"'],
  ['path has a semicolon', 'development', (res) => clearRefreshCookie(res, { path: '/auth;Domain=evil.com' }), OPTION, 'options.path: "/auth;Domain=evil.com" must start with "/" and hold printable ASCII other than ";"'],
  ['path has a control character', 'development', (res) => setRefreshCookie(res, TOKEN, { path: '/auth\n' }), OPTION, 'options.path: "/auth\\n" must start with "/" and hold printable ASCII other than ";"'],
  ['domain is a number', 'development', (res) => setRefreshCookie(res, TOKEN, { domain: 1 }), TYPE, 'options.domain must be a string, got number'],
  ['domain is empty', 'development', (res) => setRefreshCookie(res, TOKEN, { domain: '' }), OPTION, 'options.domain: "" is not a host name (leave it undefined for a host-only cookie)'],
  ['domain has a semicolon', 'development', (res) => setRefreshCookie(res, TOKEN, { domain: 'example.com;Path=/' }), OPTION, 'options.domain: "example.com;Path=/" is not a host name (leave it undefined for a host-only cookie)'],
  ['domain has CR LF', 'development', (res) => clearRefreshCookie(res, { domain: 'example.com\r\nX: y' }), OPTION, 'options.domain: "example.com\\r\\nX: y" is not a host name (leave it undefined for a host-only cookie)'],
  ['domain is a URL', 'development', (res) => setRefreshCookie(res, TOKEN, { domain: 'https://example.com' }), OPTION, 'options.domain: "https://example.com" is not a host name (leave it undefined for a host-only cookie)'],
  ['secure is a string', 'development', (res) => setRefreshCookie(res, TOKEN, { secure: 'true' }), TYPE, 'options.secure must be a boolean, got string'],
  ['sameSite is a boolean', 'development', (res) => setRefreshCookie(res, TOKEN, { sameSite: true }), TYPE, "options.sameSite must be 'lax', 'strict' or 'none', got boolean"],
  ['sameSite is unknown', 'development', (res) => setRefreshCookie(res, TOKEN, { sameSite: 'always' }), OPTION, `options.sameSite: "always" is not 'lax', 'strict' or 'none'`],
  ['SameSite=None without Secure (development)', 'development', (res) => setRefreshCookie(res, TOKEN, { sameSite: 'none' }), OPTION, "options.sameSite: SameSite=None needs Secure, or browsers drop the cookie (set secure: true, or sameSite: 'lax')"],
  ['secure: false in production (SameSite=None by default)', 'production', (res) => setRefreshCookie(res, TOKEN, { secure: false }), OPTION, "options.sameSite: SameSite=None needs Secure, or browsers drop the cookie (set secure: true, or sameSite: 'lax')"],
  ['clear: secure: false in production', 'production', (res) => clearRefreshCookie(res, { secure: false }), OPTION, "options.sameSite: SameSite=None needs Secure, or browsers drop the cookie (set secure: true, or sameSite: 'lax')"],
  ['maxAge is a boolean', 'development', (res) => setRefreshCookie(res, TOKEN, { maxAge: true }), TYPE, 'options.maxAge must be seconds or a duration string, got boolean'],
  ['maxAge is not a duration', 'development', (res) => setRefreshCookie(res, TOKEN, { maxAge: '7 fortnights' }), OPTION, NOT_A_DURATION('7 fortnights')],
  ['maxAge has an exponent', 'development', (res) => setRefreshCookie(res, TOKEN, { maxAge: '1e3s' }), OPTION, NOT_A_DURATION('1e3s')],
  ['maxAge is negative', 'development', (res) => setRefreshCookie(res, TOKEN, { maxAge: -1 }), OPTION, 'options.maxAge: must be a finite, non-negative duration'],
  ['maxAge is NaN', 'development', (res) => setRefreshCookie(res, TOKEN, { maxAge: NaN }), OPTION, 'options.maxAge: must be a finite, non-negative duration'],
  ['maxAge is Infinity', 'development', (res) => setRefreshCookie(res, TOKEN, { maxAge: Infinity }), OPTION, 'options.maxAge: must be a finite, non-negative duration'],
  ['maxAge is 0', 'development', (res) => setRefreshCookie(res, TOKEN, { maxAge: 0 }), OPTION, 'options.maxAge: a refresh cookie must live at least 1 second (clearRefreshCookie removes it)'],
  ['maxAge is under a second', 'development', (res) => setRefreshCookie(res, TOKEN, { maxAge: '500ms' }), OPTION, 'options.maxAge: a refresh cookie must live at least 1 second (clearRefreshCookie removes it)'],
  ['maxAge is beyond any date', 'development', (res) => setRefreshCookie(res, TOKEN, { maxAge: 1e20 }), OPTION, 'options.maxAge: is too far in the future'],
  ['expires is a number', 'development', (res) => setRefreshCookie(res, TOKEN, { expires: NOW + DAY }), TYPE, 'options.expires must be a Date, got number'],
  ['expires is an invalid Date', 'development', (res) => setRefreshCookie(res, TOKEN, { expires: new Date(NaN) }), OPTION, 'options.expires: is not a valid time'],
  ['expires is in the past', 'development', (res) => setRefreshCookie(res, TOKEN, { expires: new Date(NOW - 1) }), OPTION, 'options.expires: is not at least 1 second in the future'],
  ['expires is now', 'development', (res) => setRefreshCookie(res, TOKEN, { expires: new Date(NOW + 999) }), OPTION, 'options.expires: is not at least 1 second in the future'],
  ['maxAge and expires together', 'development', (res) => setRefreshCookie(res, TOKEN, { maxAge: 60, expires: new Date(NOW + DAY) }), OPTION, 'options.maxAge, options.expires: give one of them, not both'],
  ['expiresAt in the past', 'development', (res) => setRefreshCookie(res, { token: TOKEN, expiresAt: new Date(NOW - DAY) }), OPTION, 'token.expiresAt: is not at least 1 second in the future'],
  ['expiresAt is NaN', 'development', (res) => setRefreshCookie(res, { token: TOKEN, expiresAt: NaN }), OPTION, 'token.expiresAt: is not a valid time'],
  ['expiresAt is beyond any date', 'development', (res) => setRefreshCookie(res, { token: TOKEN, expiresAt: 1e300 }), OPTION, 'token.expiresAt: is not a valid time'],
]

describe('bad input: a coded error, and no header written', () => {
  for (const [what, env, call, code, message] of BAD_INPUT) {
    test(what, () => {
      const res = detachedResponse()
      res.setHeader('Set-Cookie', ['kept=1'])
      let thrown
      withEnv(env, () =>
        atNow(() => {
          try {
            call(res)
          } catch (caught) {
            thrown = caught
          }
        }),
      )
      assert.ok(thrown, 'did not throw')
      assert.equal(thrown.code, code)
      assert.equal(thrown.message, message)
      assert.ok(code === TYPE ? thrown instanceof TypeError : thrown instanceof FerroAuthError, thrown.name)
      assert.deepEqual(res.getHeader('Set-Cookie'), ['kept=1'])
    })
  }

  test('after the headers are sent: Node.js refuses, and the helpers do not hide it', async () => {
    let thrown
    const server = await listen((req, res) => {
      res.end('sent')
      try {
        setRefreshCookie(res, TOKEN)
      } catch (error) {
        thrown = error
      }
    })
    try {
      const response = await request(server.base, '/')
      assert.deepEqual(response.setCookie, [])
      assert.equal(thrown?.code, 'ERR_HTTP_HEADERS_SENT')
    } finally {
      await server.close()
    }
  })
})

// ---- API surface and the duration parser ----------------------------------------------------

describe('API surface', () => {
  test('one pair of functions from ferroauth, ferroauth/express and ferroauth/nestjs', async () => {
    for (const entry of [ferroauth, nest, require('../express.js'), await import('ferroauth/express'), await import('ferroauth')]) {
      assert.equal(entry.setRefreshCookie, setRefreshCookie)
      assert.equal(entry.clearRefreshCookie, clearRefreshCookie)
      assert.equal(entry.readRefreshCookie, readRefreshCookie)
    }
    assert.equal(typeof setRefreshCookie, 'function')
  })
})

describe('readRefreshCookie', () => {
  const request = (headers, cookies) => {
    const req = new http.IncomingMessage(new net.Socket())
    Object.assign(req.headers, headers)
    if (cookies !== undefined) req.cookies = cookies
    return req
  }

  test('reads the Cookie header among other cookies, by the default name or the one given', () => {
    const req = request({ cookie: `theme=dark; rt=${TOKEN};__Host-rt=other ; session=x` })
    assert.equal(readRefreshCookie(req), TOKEN)
    assert.equal(readRefreshCookie(req, { name: '__Host-rt', secure: true, path: '/' }), 'other')
    assert.equal(readRefreshCookie(req, { name: 'missing' }), undefined)
    assert.equal(readRefreshCookie(request({})), undefined)
    assert.equal(readRefreshCookie(request({ cookie: 'rt=' })), undefined)
    // A name that only ends like the cookie's is another cookie.
    assert.equal(readRefreshCookie(request({ cookie: 'xrt=abc' })), undefined)
  })

  test("prefers cookie-parser's req.cookies, and falls back to the header when it lacks the cookie", () => {
    assert.equal(readRefreshCookie(request({ cookie: 'rt=from-header' }, { rt: 'from-parser' })), 'from-parser')
    assert.equal(readRefreshCookie(request({ cookie: 'rt=from-header' }, {})), 'from-header')
  })

  test('the options of setRefreshCookie are accepted, and checked the same way', () => {
    const req = request({ cookie: `rt=${TOKEN}` })
    assert.equal(readRefreshCookie(req, { path: '/auth', maxAge: '7d', sameSite: 'strict', domain: 'example.com' }), TOKEN)
    assert.throws(() => readRefreshCookie(req, { nmae: 'rt' }), { code: OPTION, message: /^options\.nmae: unknown option/ })
    assert.throws(() => readRefreshCookie(req, { name: 'a b' }), { code: OPTION })
    assert.throws(() => readRefreshCookie(req, 'rt'), { code: TYPE })
  })

  test('a value that is not a request is a TypeError', () => {
    for (const bad of [undefined, null, 'rt=x', {}, { headers: null }]) {
      assert.throws(() => readRefreshCookie(bad), { name: 'TypeError', code: TYPE })
    }
  })

  test('what it reads, a manager rotates: a missing cookie is ERR_REFRESH_INVALID', async () => {
    const refresh = new RefreshTokenManager({ store: new MemoryStore() })
    const issued = await refresh.issue('user-9')
    const rotated = await refresh.rotate(readRefreshCookie(request({ cookie: `rt=${issued.token}` })))
    assert.equal(rotated.userId, 'user-9')
    await assert.rejects(refresh.rotate(readRefreshCookie(request({}))), { code: 'ERR_REFRESH_INVALID', message: 'Refresh token is missing' })
  })
})

describe('maxAge durations: read by the native parser, as RefreshTokenManager reads ttl', () => {
  // Whole seconds, rounded down: the cookie never outlives what was asked.
  const CASES = [
    ['15m', 900], ['7d', 604_800], ['2 hours', 7_200], [' 1.5h ', 5_400], ['30', 30], ['1500ms', 1],
    ['2w', 1_209_600], ['10 SECS', 10], ['1 day', 86_400], ['\u00a015m\u3000', 900], [90.9, 90],
  ]
  for (const [input, maxAge] of CASES) {
    test(`${JSON.stringify(input)} is Max-Age=${maxAge}, as a manager's ttl is ${maxAge} s`, () => {
      const res = detachedResponse()
      withEnv('development', () => atNow(() => setRefreshCookie(res, TOKEN, { maxAge: input })))
      assert.match(String(res.getHeader('set-cookie')), new RegExp(`^rt=${TOKEN}; Max-Age=${maxAge}; `))
      assert.equal(Math.floor(new RefreshTokenManager({ store: new MemoryStore(), ttl: input }).ttl), maxAge)
    })
  }
  for (const input of ['', 'm', '15x', '-5m', '.5s', '5.s', '1e3s', 'NaN', '1.2.3m', '\ufeff15m', '１５m', '15\u212am', '+5m']) {
    test(`${JSON.stringify(input)} is refused by both`, () => {
      assert.throws(() => setRefreshCookie(detachedResponse(), TOKEN, { maxAge: input }), {
        code: OPTION,
        // Rust's quoting: invisible and non-ASCII characters escaped, so the message shows them.
        message: /^options\.maxAge: ".*" is not a duration \(use seconds, or a string like "30s", "15m", "12h", "7d"\)$/,
      })
      assert.throws(() => new RefreshTokenManager({ store: new MemoryStore(), ttl: input }), { code: OPTION })
    })
  }
})
