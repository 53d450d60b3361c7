'use strict'

// ferroauth/nestjs against real NestJS apps over real HTTP. The apps are TypeScript
// (__test__/nest-app/*.ts) compiled at start with the repo's tsc under --strict with
// experimentalDecorators + emitDecoratorMetadata, so compiling them is also the type test.

const { test, describe, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const ROOT = path.join(__dirname, '..')
const APP_DIR = path.join(__dirname, 'nest-app')
const DIST = path.join(APP_DIR, 'dist') // .gitignored
const { tscSync } = require('./helpers/tsc.js')

const SECRET = 'ferroauth-nestjs-test-secret-0123456789abcdef'
process.env.JWT_ACCESS_SECRET = SECRET

const { NestFactory } = require('@nestjs/core')
const { UnauthorizedException, ForbiddenException, HttpException, SetMetadata } = require('@nestjs/common')
const { WsException } = require('@nestjs/websockets')
const { TokenSigner, TokenVerifier, FerroAuthError } = require('../index.js')
const nest = require('../nestjs.js')

const NOW = () => Math.floor(Date.now() / 1000)
const json = (value) => JSON.stringify(value)
const MISSING_BODY = json({ statusCode: 401, message: 'Missing bearer token', error: 'Unauthorized' })
const EXPIRED_BODY = json({ statusCode: 401, message: 'Token has expired', error: 'Unauthorized' })
const EXPIRED_CHALLENGE = 'Bearer error="invalid_token", error_description="The access token expired"'
const INVALID_BODY = json({ statusCode: 401, message: 'Invalid token', error: 'Unauthorized' })
const STATUS_BODY = json({
  statusCode: 403,
  message: 'You do not have the required status to perform this action',
  error: 'Forbidden',
})

/** The challenge for a token the verifier refuses, built from the verifier's own message. */
function invalidChallenge(verifierOptions, token) {
  const result = new TokenVerifier(verifierOptions).verify(token)
  assert.equal(result.valid, false)
  return `Bearer error="invalid_token", error_description="${result.error.message.replace(/["\\]/g, "'")}"`
}

let compilation
function compile() {
  fs.rmSync(DIST, { recursive: true, force: true })
  return tscSync(APP_DIR)
}

function loadApp(name) {
  assert.equal(compilation.status, 0, `the test apps did not compile:\n${compilation.output}`)
  return require(path.join(DIST, `${name}.js`))
}

async function startApp(Module) {
  const app = await NestFactory.create(Module, { logger: false, forceCloseConnections: true })
  await app.listen(0, '127.0.0.1')
  const { port } = app.getHttpServer().address()
  const base = `http://127.0.0.1:${port}`
  const request = async (method, route, token, headers = {}) => {
    const response = await fetch(base + route, {
      method,
      headers: token === undefined ? headers : { authorization: `Bearer ${token}`, ...headers },
    })
    return { status: response.status, challenge: response.headers.get('www-authenticate'), text: await response.text() }
  }
  return { app, request }
}

before(() => {
  compilation = compile()
})

test('the TypeScript apps and the misuse file compile under tsc --strict --experimentalDecorators --emitDecoratorMetadata', () => {
  assert.equal(compilation.status, 0, `tsc -p __test__/nest-app failed:\n${compilation.output}`)
  const config = JSON.parse(fs.readFileSync(path.join(APP_DIR, 'tsconfig.json'), 'utf8')).compilerOptions
  assert.equal(config.strict, true)
  assert.equal(config.experimentalDecorators, true)
  assert.equal(config.emitDecoratorMetadata, true)
  assert.equal(config.skipLibCheck, false, 'nestjs.d.ts itself is checked')
})

describe("the reference README's NestJS snippets", () => {
  const signer = new TokenSigner({ secret: SECRET, issuer: 'tekcify-auth', audience: 'tekcify-api' })
  const verifierOptions = { secret: SECRET, issuer: 'tekcify-auth', audience: 'tekcify-api' }
  let readme, main, perRoute
  let lookups = 0

  before(async () => {
    readme = loadApp('readme-app')
    readme.userRepository.users.set('user-1', { id: 'user-1', email: 'ada@example.com' })
    const findById = readme.userRepository.findById
    readme.userRepository.findById = function (id) {
      lookups++
      return findById.call(this, id)
    }
    main = await startApp(readme.AppModule)
    perRoute = await startApp(readme.PerRouteAppModule)
  })
  after(async () => {
    await main?.app.close()
    await perRoute?.app.close()
  })

  test('APP_GUARD useFactory + @UseGuards(JwtAuthGuard): a valid token reaches the handler, getUserInfo adds the email', async () => {
    const token = signer.sign({ sub: 'user-1', scope: 'read:profile write:profile' })
    const response = await main.request('GET', '/api/profile', token)
    assert.equal(response.status, 200)
    assert.equal(response.text, json({ userId: 'user-1', email: 'ada@example.com', scopes: ['read:profile', 'write:profile'] }))
    const posts = await main.request('GET', '/api/posts', token)
    assert.equal(posts.status, 200)
    assert.deepEqual(JSON.parse(posts.text), [{ id: 1, authorId: 'user-1', title: 'Hello' }])
  })

  test('the global, controller and method guards verify once and look the user up once per request', async () => {
    const token = signer.sign({ sub: 'user-1' })
    lookups = 0
    const response = await main.request('GET', '/api/me', token)
    assert.equal(response.status, 200)
    assert.equal(response.text, json({ userId: 'user-1', email: 'ada@example.com', scopes: [] }))
    assert.equal(lookups, 1)
  })

  test('"/api/public" is still protected by the controller-level guard: 401 Missing bearer token, WWW-Authenticate: Bearer', async () => {
    const response = await main.request('GET', '/api/public')
    assert.equal(response.status, 401)
    assert.equal(response.text, MISSING_BODY)
    assert.equal(response.challenge, 'Bearer')
  })

  test('getUserInfo returning null gives 401 User not found', async () => {
    const response = await main.request('GET', '/api/profile', signer.sign({ sub: 'ghost' }))
    assert.equal(response.status, 401)
    assert.equal(response.text, json({ statusCode: 401, message: 'User not found', error: 'Unauthorized' }))
    assert.equal(response.challenge, 'Bearer error="invalid_token", error_description="The token subject is unknown"')
  })

  test('a token without sub is 401 User not found, and getUserInfo is not asked about `undefined`', async () => {
    lookups = 0
    const response = await main.request('GET', '/api/profile', signer.sign({ email: 'ada@example.com' }))
    assert.equal(response.status, 401)
    assert.equal(response.text, json({ statusCode: 401, message: 'User not found', error: 'Unauthorized' }))
    assert.equal(lookups, 0)
  })

  test('expired, badly signed, wrong-audience and malformed tokens: 401 with distinct messages and RFC 6750 challenges', async () => {
    const expired = signer.sign({ sub: 'user-1', iat: NOW() - 3600, exp: NOW() - 60 })
    let response = await main.request('GET', '/api/profile', expired)
    assert.equal(response.status, 401)
    assert.equal(response.text, EXPIRED_BODY)
    assert.equal(response.challenge, EXPIRED_CHALLENGE)

    const forged = new TokenSigner({ secret: `${SECRET}-other`, issuer: 'tekcify-auth', audience: 'tekcify-api' }).sign({ sub: 'user-1' })
    response = await main.request('GET', '/api/profile', forged)
    assert.equal(response.status, 401)
    assert.equal(response.text, INVALID_BODY)
    assert.equal(response.challenge, invalidChallenge(verifierOptions, forged))
    assert.match(response.challenge, /^Bearer error="invalid_token", error_description="[^"]*signature[^"]*"$/i)

    const otherAudience = new TokenSigner({ secret: SECRET, issuer: 'tekcify-auth', audience: 'elsewhere' }).sign({ sub: 'user-1' })
    response = await main.request('GET', '/api/profile', otherAudience)
    assert.equal(response.status, 401)
    assert.equal(response.text, INVALID_BODY)
    assert.equal(response.challenge, invalidChallenge(verifierOptions, otherAudience))

    response = await main.request('GET', '/api/profile', 'not.a-token')
    assert.equal(response.status, 401)
    assert.equal(response.text, INVALID_BODY)
    assert.equal(response.challenge, invalidChallenge(verifierOptions, 'not.a-token'))
  })

  test('the Bearer scheme is case-insensitive; other schemes count as no token', async () => {
    const token = signer.sign({ sub: 'user-1' })
    let response = await main.request('GET', '/api/profile', undefined, { authorization: `bEaReR ${token}` })
    assert.equal(response.status, 200)
    response = await main.request('GET', '/api/profile', undefined, { authorization: `Basic ${token}` })
    assert.equal(response.status, 401)
    assert.equal(response.text, MISSING_BODY)
    assert.equal(response.challenge, 'Bearer')
  })

  test('per-route @UseGuards(new JwtAuthGuard({...})): other routes stay open, the guarded one needs a token', async () => {
    let response = await perRoute.request('GET', '/api/public')
    assert.equal(response.status, 200)
    assert.equal(response.text, json({ message: 'Public endpoint' }))
    response = await perRoute.request('GET', '/api/protected')
    assert.equal(response.status, 401)
    assert.equal(response.text, MISSING_BODY)
    assert.equal(response.challenge, 'Bearer')
    response = await perRoute.request('GET', '/api/protected', signer.sign({ sub: 'user-9' }))
    assert.equal(response.status, 200)
    assert.equal(response.text, json({ message: 'Protected endpoint', user: 'user-9' }))
  })
})

describe('FerroAuthModule.forRoot with APP_GUARD useClass: JwtAuthGuard', () => {
  const signer = new TokenSigner({ secret: SECRET, issuer: 'ferroauth-test', audience: 'ferroauth-api' })
  let features, server

  before(async () => {
    features = loadApp('features-app')
    server = await startApp(features.ForRootAppModule)
  })
  after(async () => {
    await server?.app.close()
  })

  test('the guard resolves its options through DI; @CurrentUser() and @CurrentUser(field)', async () => {
    const token = signer.sign({ sub: 'u-1', email: 'u1@example.com', scope: 'a b', roles: ['r'] })
    let response = await server.request('GET', '/me', token)
    assert.equal(response.status, 200)
    assert.equal(response.text, json({ userId: 'u-1', email: 'u1@example.com', scopes: ['a', 'b'], roles: ['r'] }))
    response = await server.request('GET', '/me/email', token)
    assert.equal(response.text, json({ email: 'u1@example.com' }))
    response = await server.request('GET', '/me/email', signer.sign({ sub: 'u-2' }))
    assert.equal(response.text, json({ email: null }))
  })

  test('401 bodies and headers byte for byte under the module options (issuer and audience enforced)', async () => {
    let response = await server.request('GET', '/me')
    assert.equal(response.status, 401)
    assert.equal(response.text, MISSING_BODY)
    assert.equal(response.challenge, 'Bearer')

    response = await server.request('GET', '/me', signer.sign({ sub: 'u-1', iat: NOW() - 100, exp: NOW() - 10 }))
    assert.equal(response.text, EXPIRED_BODY)
    assert.equal(response.challenge, EXPIRED_CHALLENGE)

    const otherIssuer = new TokenSigner({ secret: SECRET, issuer: 'tekcify-auth', audience: 'ferroauth-api' }).sign({ sub: 'u-1' })
    response = await server.request('GET', '/me', otherIssuer)
    assert.equal(response.status, 401)
    assert.equal(response.text, INVALID_BODY)
    assert.equal(response.challenge, invalidChallenge({ secret: SECRET, issuer: 'ferroauth-test', audience: 'ferroauth-api' }, otherIssuer))
  })

  test('@Public() on a handler opens it, without reading the token', async () => {
    let response = await server.request('GET', '/me/open')
    assert.equal(response.status, 200)
    assert.equal(response.text, json({ open: true, user: null }))
    response = await server.request('GET', '/me/open', 'garbage')
    assert.equal(response.status, 200)
  })

  test('@Public() on a controller opens its handlers; @Public(false) on a handler closes it again', async () => {
    let response = await server.request('GET', '/catalog')
    assert.equal(response.status, 200)
    assert.equal(response.text, json({ items: ['a', 'b'] }))
    response = await server.request('GET', '/catalog/mine')
    assert.equal(response.status, 401)
    assert.equal(response.text, MISSING_BODY)
    assert.equal(response.challenge, 'Bearer')
    response = await server.request('GET', '/catalog/mine', signer.sign({ sub: 'owner-1' }))
    assert.equal(response.status, 200)
    assert.equal(response.text, json({ owner: 'owner-1' }))
  })

  test('@Scopes: 403 with error="insufficient_scope" and the scope attribute; passes with the scope', async () => {
    let response = await server.request('POST', '/me/posts', signer.sign({ sub: 'u-1', scope: 'posts:read' }))
    assert.equal(response.status, 403)
    assert.equal(response.text, json({ statusCode: 403, message: 'Insufficient scope: requires posts:write', error: 'Forbidden' }))
    assert.equal(
      response.challenge,
      'Bearer error="insufficient_scope", error_description="Insufficient scope: requires posts:write", scope="posts:write"',
    )
    response = await server.request('POST', '/me/posts', signer.sign({ sub: 'u-1', scopes: ['posts:read', 'posts:write'] }))
    assert.equal(response.status, 201)
    assert.equal(response.text, json({ created: true, by: 'u-1' }))
  })

  test('@Roles: 403 with error="insufficient_scope"; passes with the role', async () => {
    let response = await server.request('DELETE', '/me/users/7', signer.sign({ sub: 'u-1', roles: ['user'] }))
    assert.equal(response.status, 403)
    assert.equal(response.text, json({ statusCode: 403, message: 'Insufficient role: requires admin', error: 'Forbidden' }))
    assert.equal(response.challenge, 'Bearer error="insufficient_scope", error_description="Insufficient role: requires admin"')
    response = await server.request('DELETE', '/me/users/7', signer.sign({ sub: 'u-1', role: 'admin' }))
    assert.equal(response.status, 200)
    assert.equal(response.text, json({ removed: '7' }))
  })

  test("a controller's @Scopes applies to its handlers; a handler's list replaces it and @Scopes() lifts it", async () => {
    const reader = signer.sign({ sub: 'u-1', scope: 'admin:read' })
    assert.equal((await server.request('GET', '/admin', reader)).status, 200)
    const nobody = signer.sign({ sub: 'u-2' })
    const refused = await server.request('GET', '/admin', nobody)
    assert.equal(refused.status, 403)
    assert.equal(refused.text, json({ statusCode: 403, message: 'Insufficient scope: requires admin:read', error: 'Forbidden' }))
    assert.equal((await server.request('GET', '/admin/lifted', nobody)).status, 200)
    assert.equal((await server.request('GET', '/admin/lifted')).status, 401)
    const audit = await server.request('GET', '/admin/audit', reader)
    assert.equal(audit.status, 403)
    assert.equal(audit.text, json({ statusCode: 403, message: 'Insufficient scope: requires audit:read', error: 'Forbidden' }))
    const auditorWithoutRole = await server.request('GET', '/admin/audit', signer.sign({ sub: 'u-3', scope: 'audit:read' }))
    assert.equal(auditorWithoutRole.status, 403)
    assert.equal(auditorWithoutRole.text, json({ statusCode: 403, message: 'Insufficient role: requires auditor', error: 'Forbidden' }))
    const auditor = signer.sign({ sub: 'u-3', scope: 'audit:read', roles: ['auditor'] })
    assert.equal((await server.request('GET', '/admin/audit', auditor)).status, 200)
  })

  test('@RequireStatus walks the onboarding state machine; a wrong status is the exact 403 body, without WWW-Authenticate', async () => {
    const { statuses, resolveStatusCalls } = features
    const token = signer.sign({ sub: 'onboarding-1' })
    statuses.set('onboarding-1', 'PENDING_VERIFICATION')
    let response = await server.request('POST', '/me/business-details', token)
    assert.equal(response.status, 403)
    assert.equal(response.text, STATUS_BODY)
    assert.equal(response.challenge, null)

    statuses.set('onboarding-1', 'ONBOARDING_BUSINESS_PENDING')
    response = await server.request('POST', '/me/meta-onboarding-complete', token)
    assert.equal(response.status, 403)
    assert.equal(response.text, STATUS_BODY)
    response = await server.request('POST', '/me/business-details', token)
    assert.equal(response.status, 201)
    assert.equal(response.text, json({ next: 'ONBOARDING_META_PENDING' }))
    response = await server.request('POST', '/me/business-details', token)
    assert.equal(response.status, 403)
    assert.equal(response.text, STATUS_BODY)
    response = await server.request('POST', '/me/meta-onboarding-complete', token)
    assert.equal(response.status, 201)
    assert.equal(statuses.get('onboarding-1'), 'ACTIVE')

    // A user without a status at all, and a request without a token (401; the resolver is not asked).
    response = await server.request('POST', '/me/business-details', signer.sign({ sub: 'stranger' }))
    assert.equal(response.text, STATUS_BODY)
    const calls = resolveStatusCalls.length
    response = await server.request('POST', '/me/business-details')
    assert.equal(response.status, 401)
    assert.equal(response.text, MISSING_BODY)
    assert.equal(resolveStatusCalls.length, calls)
  })
})

describe('FerroAuthModule.forRootAsync with inject, @UseGuards(JwtAuthGuard) through DI, an app exception filter', () => {
  const signer = new TokenSigner({ secret: SECRET, issuer: 'ferroauth-async' })
  let features, server

  before(async () => {
    features = loadApp('features-app')
    server = await startApp(features.ForRootAsyncAppModule)
  })
  after(async () => {
    await server?.app.close()
  })

  test('the options come from the factory with its injected provider; requestProperty puts the user on req.auth', async () => {
    const response = await server.request('GET', '/async/me', signer.sign({ sub: 'a-1' }))
    assert.equal(response.status, 200)
    assert.equal(response.text, json({ userId: 'a-1', issuer: 'ferroauth-async', fromRequestProperty: 'a-1' }))
  })

  test('the app exception filter sees the UnauthorizedException; the WWW-Authenticate header survives it', async () => {
    const seen = features.seenExceptions
    seen.length = 0
    const otherIssuer = new TokenSigner({ secret: SECRET, issuer: 'ferroauth-test' }).sign({ sub: 'a-1' })
    let response = await server.request('GET', '/async/me', otherIssuer)
    assert.equal(response.status, 401)
    assert.equal(response.text, json({ statusCode: 401, message: 'Invalid token', error: 'Unauthorized', filtered: true }))
    assert.equal(response.challenge, invalidChallenge({ secret: SECRET, issuer: 'ferroauth-async' }, otherIssuer))
    assert.equal(seen.length, 1)
    assert.ok(seen[0] instanceof UnauthorizedException)
    assert.ok(seen[0] instanceof HttpException)
    assert.equal(seen[0].getStatus(), 401)
    assert.deepEqual(seen[0].getResponse(), { statusCode: 401, message: 'Invalid token', error: 'Unauthorized' })

    response = await server.request('GET', '/async/me')
    assert.equal(response.text, json({ statusCode: 401, message: 'Missing bearer token', error: 'Unauthorized', filtered: true }))
    assert.equal(response.challenge, 'Bearer')
    assert.equal(seen.length, 2)
  })

  test('credentialsRequired: false lets anonymous requests in, still refuses bad tokens, and requirements still need a token', async () => {
    let response = await server.request('GET', '/optional')
    assert.equal(response.status, 200)
    assert.equal(response.text, json({ userId: null }))
    response = await server.request('GET', '/optional', signer.sign({ sub: 'a-2' }))
    assert.equal(response.text, json({ userId: 'a-2' }))
    response = await server.request('GET', '/optional', 'garbage')
    assert.equal(response.status, 401)
    assert.equal(response.text, json({ statusCode: 401, message: 'Invalid token', error: 'Unauthorized', filtered: true }))

    response = await server.request('GET', '/optional/scoped')
    assert.equal(response.status, 401)
    assert.equal(response.challenge, 'Bearer')
    response = await server.request('GET', '/optional/scoped', signer.sign({ sub: 'a-2' }))
    assert.equal(response.status, 403)
    assert.ok(features.seenExceptions.at(-1) instanceof ForbiddenException)
    response = await server.request('GET', '/optional/scoped', signer.sign({ sub: 'a-2', scope: 'reports:read' }))
    assert.equal(response.text, json({ userId: 'a-2' }))
  })

  test("a guard extending JwtAuthGuard awaits super.canActivate(), then applies its own rule", async () => {
    let response = await server.request('GET', '/account', signer.sign({ sub: 'a-3' }))
    assert.equal(response.status, 200)
    assert.equal(response.text, json({ userId: 'a-3' }))
    response = await server.request('GET', '/account', signer.sign({ sub: 'a-4', suspended: true }))
    assert.equal(response.status, 403)
    assert.deepEqual(JSON.parse(response.text), { statusCode: 403, message: 'Account suspended', error: 'Forbidden', filtered: true })
    response = await server.request('GET', '/account')
    assert.equal(response.status, 401)
    assert.equal(response.text, json({ statusCode: 401, message: 'Missing bearer token', error: 'Unauthorized', filtered: true }))
    assert.equal(response.challenge, 'Bearer')
  })
})

// --- execution contexts other than HTTP, with fake ExecutionContexts -------------------------

function fakeContext(type, { args = [], handler = function handler() {}, controller = class Controller {} } = {}) {
  return {
    getType: () => type,
    getArgs: () => args,
    getArgByIndex: (index) => args[index],
    getHandler: () => handler,
    getClass: () => controller,
    switchToHttp: () => ({ getRequest: () => args[0], getResponse: () => args[1], getNext: () => args[2] }),
    switchToWs: () => ({ getClient: () => args[0], getData: () => args[1], getPattern: () => args[3] }),
    switchToRpc: () => ({ getData: () => args[0], getContext: () => args[1] }),
  }
}

function fakeResponse() {
  const headers = {}
  return { headers, setHeader: (name, value) => { headers[name.toLowerCase()] = value } }
}

describe('guards of one request', () => {
  const signer = new TokenSigner({ secret: SECRET })
  const request = (sub) => ({ headers: { authorization: `Bearer ${signer.sign({ sub })}` } })
  const context = (req) => fakeContext('http', { args: [req, fakeResponse()] })

  test('two guards with the same options: one lookup per request, even when another request ran in between', async () => {
    let lookups = 0
    const options = {
      secret: SECRET,
      getUserInfo: async (userId) => {
        lookups++
        return { email: `${userId}@example.com` }
      },
    }
    const first = new nest.JwtAuthGuard(options)
    const second = new nest.JwtAuthGuard(options)
    const a = request('a')
    const b = request('b')
    assert.equal(await first.canActivate(context(a)), true)
    assert.equal(await first.canActivate(context(b)), true)
    assert.equal(await second.canActivate(context(a)), true)
    assert.equal(await second.canActivate(context(b)), true)
    assert.equal(lookups, 2)
    assert.deepEqual([a.user.userId, a.user.email, b.user.userId, b.user.email], ['a', 'a@example.com', 'b', 'b@example.com'])
  })

  test('verified tokens are remembered by default; cache: false verifies every request', async () => {
    const token = signer.sign({ sub: 'a', roles: ['reader'] })
    const users = async (options) => {
      const guard = new nest.JwtAuthGuard(options)
      const first = { headers: { authorization: `Bearer ${token}` } }
      const second = { headers: { authorization: `Bearer ${token}` } }
      assert.equal(await guard.canActivate(context(first)), true)
      assert.equal(await guard.canActivate(context(second)), true)
      return [first.user, second.user]
    }
    const [a, b] = await users({ secret: SECRET })
    assert.notEqual(a, b)
    assert.equal(a.claims, b.claims)
    assert.ok(Object.isFrozen(a.claims))
    const [c, d] = await users({ secret: SECRET, cache: false })
    assert.notEqual(c.claims, d.claims)
    assert.ok(!Object.isFrozen(c.claims))
    assert.deepEqual(c, { ...a, claims: { ...a.claims, roles: [...a.claims.roles] } })
  })

  test('a handler shared by controllers (inherited) follows each controller\'s own decorators', async () => {
    const guard = new nest.JwtAuthGuard({ secret: SECRET })
    const shared = function list() {}
    class Base {}
    class OpenController extends Base {}
    class ClosedController extends Base {}
    class AdminController extends Base {}
    nest.Public()(OpenController)
    nest.Roles('admin')(AdminController)
    const anonymous = () => ({ headers: {} })
    const on = (controller, req) => fakeContext('http', { args: [req, fakeResponse()], handler: shared, controller })
    for (let round = 0; round < 2; round++) {
      assert.equal(await guard.canActivate(on(ClosedController, request('c'))), true)
      await assert.rejects(guard.canActivate(on(ClosedController, anonymous())), UnauthorizedException)
      assert.equal(await guard.canActivate(on(OpenController, anonymous())), true)
      await assert.rejects(guard.canActivate(on(AdminController, request('a'))), ForbiddenException)
      await assert.rejects(guard.canActivate(on(ClosedController, anonymous())), UnauthorizedException)
    }
  })

  test('a hand-made HTTP context with only switchToHttp() (as unit tests mock it) works', async () => {
    const guard = new nest.JwtAuthGuard({ secret: SECRET })
    const req = request('mocked')
    const res = fakeResponse()
    const handler = function mockedHandler() {}
    const mocked = {
      getType: () => 'http',
      getHandler: () => handler,
      getClass: () => class MockedController {},
      switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
    }
    assert.equal(guard.canActivate(mocked), true)
    assert.equal(req.user.userId, 'mocked')
    // An ArgumentsHost whose getArgByIndex has nothing at 0 is asked through switchToHttp() too.
    const partial = { ...mocked, getArgByIndex: () => undefined }
    const other = request('other')
    partial.switchToHttp = () => ({ getRequest: () => other, getResponse: () => res })
    assert.equal(guard.canActivate(partial), true)
    assert.equal(other.user.userId, 'other')
    const anonymous = { headers: {} }
    await assert.rejects(guard.canActivate({ ...mocked, switchToHttp: () => ({ getRequest: () => anonymous, getResponse: () => res }) }), UnauthorizedException)
    assert.equal(res.headers['www-authenticate'], 'Bearer')
  })

  test('canActivate answers true at once when nothing is awaited; refusals are always rejected promises', async () => {
    const guard = new nest.JwtAuthGuard({ secret: SECRET })
    const a = request('a')
    assert.equal(guard.canActivate(context(a)), true)
    assert.equal(a.user.userId, 'a')
    // No synchronous throw for a refusal: callers that chain .catch() on it keep working.
    for (const req of [{ headers: {} }, { headers: { authorization: 'Bearer not.a.token' } }]) {
      const refused = guard.canActivate(context(req))
      assert.ok(refused instanceof Promise)
      await assert.rejects(refused, UnauthorizedException)
    }
    const broken = guard.canActivate(fakeContext('kafka-ish'))
    assert.ok(broken instanceof Promise)
    await assert.rejects(broken, /no request in this 'kafka-ish' context/)
    // Hooks, and @RequireStatus's resolveStatus, make it a promise of the same answer.
    const hooked = new nest.JwtAuthGuard({ secret: SECRET, isRevoked: async () => false })
    const pending = hooked.canActivate(context(request('b')))
    assert.ok(pending instanceof Promise)
    assert.equal(await pending, true)
    const handler = function onboarding() {}
    nest.RequireStatus('ACTIVE')(handler)
    const statusOf = (status) => new nest.JwtAuthGuard({ secret: SECRET, resolveStatus: () => {
      if (status instanceof Error) throw status
      return status
    } })
    const withStatus = (status) => statusOf(status).canActivate(fakeContext('http', { args: [request('c'), fakeResponse()], handler }))
    const active = withStatus('ACTIVE')
    assert.ok(active instanceof Promise)
    assert.equal(await active, true)
    await assert.rejects(withStatus('PENDING'), ForbiddenException)
    const failing = withStatus(new Error('status store down'))
    assert.ok(failing instanceof Promise)
    await assert.rejects(failing, /status store down/)
  })

  test('without hooks, interleaved requests each keep their own user', async () => {
    const options = { secret: SECRET }
    const first = new nest.JwtAuthGuard(options)
    const second = new nest.JwtAuthGuard(options)
    const a = request('a')
    const b = request('b')
    const anonymous = { headers: {} }
    assert.equal(await first.canActivate(context(a)), true)
    assert.equal(await first.canActivate(context(b)), true)
    assert.equal(await second.canActivate(context(a)), true)
    await assert.rejects(second.canActivate(context(anonymous)), UnauthorizedException)
    assert.equal(await second.canActivate(context(b)), true)
    assert.deepEqual([a.user.userId, b.user.userId, anonymous.user], ['a', 'b', undefined])
  })
})

describe('non-HTTP execution contexts', () => {
  const signer = new TokenSigner({ secret: SECRET })
  const token = signer.sign({ sub: 'ctx-user', email: 'ctx@example.com' })

  test("graphql: reads the request from the GraphQL context's req, sets the user, and WWW-Authenticate on its res", async () => {
    const guard = new nest.JwtAuthGuard({ secret: SECRET })
    const req = { headers: { authorization: `Bearer ${token}` } }
    assert.equal(await guard.canActivate(fakeContext('graphql', { args: [{}, {}, { req }, {}] })), true)
    assert.equal(req.user.userId, 'ctx-user')

    const res = fakeResponse()
    const anonymous = { headers: {} }
    await assert.rejects(guard.canActivate(fakeContext('graphql', { args: [{}, {}, { req: anonymous, res }, {}] })), (error) => {
      assert.ok(error instanceof UnauthorizedException)
      assert.deepEqual(error.getResponse(), { statusCode: 401, message: 'Missing bearer token', error: 'Unauthorized' })
      return true
    })
    assert.equal(res.headers['www-authenticate'], 'Bearer')
  })

  test('graphql without a req in its context: a clear error that says how to put it there', async () => {
    const guard = new nest.JwtAuthGuard({ secret: SECRET })
    await assert.rejects(guard.canActivate(fakeContext('graphql', { args: [{}, {}, {}, {}] })), (error) => {
      assert.ok(error instanceof FerroAuthError)
      assert.equal(error.code, 'ERR_INVALID_OPTION')
      assert.match(error.message, /no request in this 'graphql' context/)
      assert.match(error.message, /context: \(\{ req \}\) => \(\{ req \}\)/)
      return true
    })
  })

  test('ws and rpc without getToken: a clear error naming the getToken option', async () => {
    const guard = new nest.JwtAuthGuard({ secret: SECRET })
    for (const type of ['ws', 'rpc']) {
      await assert.rejects(guard.canActivate(fakeContext(type, { args: [{}, {}] })), (error) => {
        assert.ok(error instanceof FerroAuthError)
        assert.equal(error.code, 'ERR_INVALID_OPTION')
        assert.match(error.message, new RegExp(`no request in this '${type}' context: there is no HTTP request`))
        assert.match(error.message, /getToken\(carrier, context\)/)
        return true
      })
    }
  })

  test('ws with getToken: the token comes from the client, the user goes on the client; a bad one is an UnauthorizedException', async () => {
    const calls = []
    const guard = new nest.JwtAuthGuard({
      secret: SECRET,
      getToken: (client, context) => {
        calls.push(context.getType())
        return client.handshake.auth.token
      },
    })
    const client = { handshake: { auth: { token } } }
    assert.equal(await guard.canActivate(fakeContext('ws', { args: [client, { message: 'hi' }] })), true)
    assert.equal(client.user.email, 'ctx@example.com')
    assert.deepEqual(calls, ['ws'])
    const stranger = { handshake: { auth: { token: 'nope' } } }
    await assert.rejects(guard.canActivate(fakeContext('ws', { args: [stranger, {}] })), (error) => {
      // What Nest's WebSocket filters send on as they are (an HttpException would reach the client as "Internal server error").
      assert.ok(error instanceof WsException, error)
      assert.deepEqual(error.getError(), { status: 'error', statusCode: 401, message: 'Invalid token', error: 'Unauthorized' })
      return true
    })
  })

  test('rpc with getToken: the token may come from the message data through the context', async () => {
    const guard = new nest.JwtAuthGuard({
      secret: SECRET,
      getToken: (rpcContext, context) => context.switchToRpc().getData().accessToken,
    })
    const rpcContext = { pattern: 'orders.create' }
    assert.equal(await guard.canActivate(fakeContext('rpc', { args: [{ accessToken: token }, rpcContext] })), true)
    assert.equal(rpcContext.user.userId, 'ctx-user')
  })

  test('an unknown context type: a clear error; @Public() handlers pass in any context before the token is looked for', async () => {
    const guard = new nest.JwtAuthGuard({ secret: SECRET })
    await assert.rejects(guard.canActivate(fakeContext('kafka-ish')), /no request in this 'kafka-ish' context/)
    const handler = function open() {}
    SetMetadata(nest.IS_PUBLIC_KEY, true)(handler)
    assert.equal(await guard.canActivate(fakeContext('ws', { handler })), true)
  })

  test('@RequireStatus without a resolveStatus option: a clear error, not a pass', async () => {
    const guard = new nest.JwtAuthGuard({ secret: SECRET })
    const handler = function onboarding() {}
    nest.RequireStatus('ACTIVE')(handler)
    const req = { headers: { authorization: `Bearer ${token}` } }
    await assert.rejects(guard.canActivate(fakeContext('http', { args: [req, fakeResponse()], handler })), (error) => {
      assert.equal(error.code, 'ERR_INVALID_OPTION')
      assert.match(error.message, /resolveStatus\(user\)/)
      return true
    })
  })
})

/** A fresh copy of the adapter: nothing configured yet in it. */
function freshAdapter() {
  const entry = require.resolve('../js/nestjs.js')
  const saved = require.cache[entry]
  delete require.cache[entry]
  try {
    return require(entry)
  } finally {
    require.cache[entry] = saved
  }
}

describe('configuration', () => {
  test("a guard built without options uses FerroAuthModule's options first, and stops when that app closes", async () => {
    const fresh = freshAdapter()
    const { Controller, Get, Module, UseGuards } = require('@nestjs/common')
    // Another guard, configured explicitly, that would let anonymous requests in.
    new fresh.JwtAuthGuard({ secret: `${SECRET}-other`, credentialsRequired: false })
    const bare = new fresh.JwtAuthGuard()
    class BareController {
      bare(user) {
        return { userId: user?.userId ?? null }
      }
    }
    const descriptor = Object.getOwnPropertyDescriptor(BareController.prototype, 'bare')
    Get()(BareController.prototype, 'bare', descriptor)
    UseGuards(bare)(BareController.prototype, 'bare', descriptor)
    fresh.CurrentUser()(BareController.prototype, 'bare', 0)
    Controller('bare')(BareController)
    class BareAppModule {}
    Module({ imports: [fresh.FerroAuthModule.forRoot({ secret: SECRET })], controllers: [BareController] })(BareAppModule)

    const server = await startApp(BareAppModule)
    try {
      let response = await server.request('GET', '/bare')
      assert.equal(response.status, 401)
      assert.equal(response.text, MISSING_BODY)
      response = await server.request('GET', '/bare', new TokenSigner({ secret: SECRET }).sign({ sub: 'bare-1' }))
      assert.equal(response.text, json({ userId: 'bare-1' }))
    } finally {
      await server.app.close()
    }
    // The module is gone: the guard falls back to the explicitly configured one.
    const req = { headers: {} }
    assert.equal(await bare.canActivate(fakeContext('http', { args: [req, fakeResponse()] })), true)
  })

  test('a guard built without options, with no FerroAuthModule and no configured guard, fails each request naming both fixes', async () => {
    const fresh = freshAdapter()
    const guard = new fresh.JwtAuthGuard()
    const req = { headers: {} }
    await assert.rejects(guard.canActivate(fakeContext('http', { args: [req, fakeResponse()] })), (error) => {
      assert.ok(error instanceof FerroAuthError)
      assert.equal(error.code, 'ERR_INVALID_OPTION')
      assert.match(error.message, /FerroAuthModule\.forRoot\(/)
      assert.match(error.message, /new JwtAuthGuard\(\{ secret/)
      return true
    })
    // Once a guard is configured, the unconfigured one follows it.
    new fresh.JwtAuthGuard({ secret: SECRET })
    await assert.rejects(guard.canActivate(fakeContext('http', { args: [req, fakeResponse()] })), UnauthorizedException)
  })

  test('invalid options fail at construction / forRoot, not on the first request', () => {
    assert.throws(() => new nest.JwtAuthGuard({ secret: SECRET, resolveStatus: 'ACTIVE' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    assert.throws(() => new nest.JwtAuthGuard({ secret: SECRET, getUserInfo: {} }), { name: 'TypeError' })
    assert.throws(() => new nest.JwtAuthGuard({ secret: SECRET, requestProperty: '' }), { name: 'TypeError' })
    assert.throws(() => new nest.JwtAuthGuard('secret'), { name: 'TypeError' })
    assert.throws(() => nest.FerroAuthModule.forRoot({ secret: SECRET, algorithms: 'HS256' }), { name: 'TypeError' })
    assert.throws(() => nest.FerroAuthModule.forRootAsync({ inject: [] }), { name: 'TypeError' })
    assert.throws(() => nest.Scopes('a', 1), { name: 'TypeError' })
    assert.throws(() => nest.RequireStatus({}), { name: 'TypeError' })
    assert.throws(() => nest.Public('yes'), { name: 'TypeError' })
  })

  test('FerroAuthModule is a global dynamic module exporting the options token and the guard', () => {
    const options = { secret: SECRET }
    const dynamic = nest.FerroAuthModule.forRoot(options)
    assert.equal(dynamic.module, nest.FerroAuthModule)
    assert.equal(dynamic.global, true)
    assert.deepEqual(dynamic.exports, [nest.FERROAUTH_OPTIONS, nest.JwtAuthGuard])
    assert.equal(nest.FERROAUTH_OPTIONS, 'FERROAUTH_OPTIONS')
  })
})

describe('packaging', () => {
  test("require('ferroauth') loads neither NestJS nor the NestJS adapter; require('ferroauth/nestjs') does", () => {
    const probe = (specifier) =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [
            '-e',
            `require(${JSON.stringify(specifier)});` +
              "console.log(JSON.stringify(Object.keys(require.cache).filter((f) => /node_modules[\\\\/](@nestjs|express|rxjs)[\\\\/]|[\\\\/]js[\\\\/]nestjs\\.js$/.test(f))))",
          ],
          { cwd: ROOT, encoding: 'utf8' },
        ),
      )
    assert.deepEqual(probe('ferroauth'), [])
    const loaded = probe('ferroauth/nestjs')
    assert.ok(loaded.some((f) => /@nestjs[\\/]common/.test(f)), 'the probe sees @nestjs when it is loaded')
    assert.ok(loaded.some((f) => /[\\/]js[\\/]nestjs\.js$/.test(f)))
  })

  test("package.json maps ./nestjs with types first; ESM import gives the same named exports as require", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
    assert.deepEqual(Object.keys(pkg.exports['./nestjs']), ['types', 'require', 'default'])
    assert.equal(pkg.exports['./nestjs'].types, './nestjs.d.ts')
    for (const file of ['nestjs.js', 'nestjs.d.ts']) assert.ok(pkg.files.includes(file), `files lists ${file}`)
    for (const peer of ['@nestjs/common', '@nestjs/core', 'express']) {
      assert.ok(pkg.peerDependencies[peer], `peer ${peer}`)
      assert.equal(pkg.peerDependenciesMeta[peer].optional, true)
      assert.equal(pkg.dependencies?.[peer], undefined)
    }
    const esm = await import('ferroauth/nestjs')
    for (const name of Object.keys(nest)) assert.equal(esm[name], nest[name], name)
  })
})
