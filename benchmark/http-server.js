'use strict'

// One server of the HTTP benchmark, run as a child process of benchmark/http.js so that the
// load generator and the server do not share an event loop:
//
//   node benchmark/http-server.js <express|nest> <contender>
//
// with BENCH_SECRET, BENCH_ISSUER and BENCH_AUDIENCE in the environment. It listens on
// 127.0.0.1, on a free port, and reports `{ type: 'listening', port }` over IPC (or prints it
// without IPC); it answers `{ type: 'cpu' }` messages with its process.cpuUsage().
//
// Every contender serves GET /api/profile -> { ok: true, sub } and verifies the same HS256
// token the same way: signature, `exp`, `iss`, `aud`, algorithm pinned to HS256.

const { SECRET, ISSUER, AUDIENCE } = {
  SECRET: process.env.BENCH_SECRET,
  ISSUER: process.env.BENCH_ISSUER,
  AUDIENCE: process.env.BENCH_AUDIENCE,
}

const UNAUTHORIZED = { statusCode: 401, message: 'Unauthorized', error: 'Unauthorized' }

// jsonwebtoken 9 (under express-jwt and passport-jwt) tries to parse a string secret as a PEM
// public key on every verify before it falls back to a secret key, which costs ~0.6 ms a call.
// A KeyObject skips that: the peers get their fastest configuration.
const SECRET_KEY = SECRET ? require('node:crypto').createSecretKey(Buffer.from(SECRET, 'utf8')) : undefined

/** A hand-written fast-jwt middleware: what a team using fast-jwt directly would write. */
function fastJwtVerifier(cache) {
  const { createVerifier } = require('fast-jwt')
  const verify = createVerifier({ key: SECRET, algorithms: ['HS256'], allowedIss: ISSUER, allowedAud: AUDIENCE, requiredClaims: ['exp'], cache })
  return (req) => {
    const header = req.headers.authorization
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) return undefined
    try {
      return verify(header.slice(7))
    } catch {
      return undefined
    }
  }
}

// ---- Express 5 ---------------------------------------------------------------------------------

const EXPRESS_CONTENDERS = {
  'no auth': (app) => {
    app.get('/api/profile', (req, res) => res.json({ ok: true, sub: 'user-1' }))
  },
  // The floor of any auth middleware on this route: one more route handler and one more
  // property on the request, which every contender below pays before verifying anything.
  'req.user only': (app) => {
    const setUser = (req, res, next) => {
      req.user = { userId: 'user-1' }
      next()
    }
    app.get('/api/profile', setUser, (req, res) => res.json({ ok: true, sub: req.user.userId }))
  },
  // Its defaults, as the README shows them: verified tokens are remembered.
  ferroauth: (app) => ferroauthRoute(app, {}),
  'ferroauth (no cache)': (app) => ferroauthRoute(app, { cache: false }),
  'express-jwt': (app) => {
    const { expressjwt } = require('express-jwt')
    const auth = expressjwt({ secret: SECRET_KEY, algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE })
    app.get('/api/profile', auth, (req, res) => res.json({ ok: true, sub: req.auth.sub }))
    app.use((error, req, res, next) => {
      res.status(error.status ?? 500).json(UNAUTHORIZED)
    })
  },
  'passport-jwt': (app) => {
    const passport = require('passport')
    const { Strategy, ExtractJwt } = require('passport-jwt')
    passport.use(new Strategy({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: SECRET_KEY,
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['HS256'],
    }, (payload, done) => done(null, { userId: payload.sub })))
    app.use(passport.initialize())
    app.get('/api/profile', passport.authenticate('jwt', { session: false }), (req, res) => {
      res.json({ ok: true, sub: req.user.userId })
    })
  },
  'fast-jwt': (app) => fastJwtRoute(app, false),
  'fast-jwt (cache)': (app) => fastJwtRoute(app, true),
}

function ferroauthRoute(app, extra) {
  const { createAuthMiddleware } = require('ferroauth/express')
  const auth = createAuthMiddleware({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], ...extra })
  app.get('/api/profile', auth, (req, res) => res.json({ ok: true, sub: req.user.userId }))
}

function fastJwtRoute(app, cache) {
  const verify = fastJwtVerifier(cache)
  const auth = (req, res, next) => {
    const payload = verify(req)
    if (payload === undefined) {
      res.status(401).json(UNAUTHORIZED)
      return
    }
    req.user = { userId: payload.sub }
    next()
  }
  app.get('/api/profile', auth, (req, res) => res.json({ ok: true, sub: req.user.userId }))
}

async function expressServer(contender) {
  const express = require('express')
  const app = express()
  app.disable('x-powered-by')
  app.disable('etag')
  EXPRESS_CONTENDERS[contender](app)
  const server = require('node:http').createServer(app)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

// ---- NestJS (Express platform) ------------------------------------------------------------------

async function nestServer(contender) {
  require('reflect-metadata')
  const { Module, Controller, Get, Req, Injectable, UnauthorizedException } = require('@nestjs/common')
  const { NestFactory, APP_GUARD } = require('@nestjs/core')

  // What `@Controller('api') class ApiController { @Get('profile') profile(@Req() req) {...} }` compiles to.
  class ApiController {
    profile(req) {
      return { ok: true, sub: contender === 'no auth' || contender === 'no-op guard' ? 'user-1' : contender === 'express-jwt' ? req.auth.sub : req.user.userId }
    }
  }
  Req()(ApiController.prototype, 'profile', 0)
  Get('profile')(ApiController.prototype, 'profile', Object.getOwnPropertyDescriptor(ApiController.prototype, 'profile'))
  Reflect.defineMetadata('design:paramtypes', [Object], ApiController.prototype, 'profile')
  Controller('api')(ApiController)

  const providers = []
  if (contender === 'no-op guard') {
    // The floor of any guard: Nest's guard machinery with a guard that lets everything through.
    class AllowAllGuard {
      canActivate() {
        return true
      }
    }
    Injectable()(AllowAllGuard)
    providers.push({ provide: APP_GUARD, useClass: AllowAllGuard })
  } else if (contender === 'req.user only') {
    // The floor of any auth guard: the guard machinery and one more property on the request.
    class SetUserGuard {
      canActivate(context) {
        context.switchToHttp().getRequest().user = { userId: 'user-1' }
        return true
      }
    }
    Injectable()(SetUserGuard)
    providers.push({ provide: APP_GUARD, useClass: SetUserGuard })
  } else if (contender === 'ferroauth' || contender === 'ferroauth (no cache)') {
    // The reference README's pattern: the guard as APP_GUARD, built by a factory.
    const { JwtAuthGuard } = require('ferroauth/nestjs')
    const extra = contender === 'ferroauth' ? {} : { cache: false }
    providers.push({
      provide: APP_GUARD,
      useFactory: () => new JwtAuthGuard({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], ...extra }),
    })
  } else if (contender === 'passport-jwt') {
    // @nestjs/passport's documented JwtStrategy + AuthGuard('jwt'), here as the global guard.
    const { PassportStrategy, AuthGuard } = require('@nestjs/passport')
    const { Strategy, ExtractJwt } = require('passport-jwt')
    class JwtStrategy extends PassportStrategy(Strategy) {
      constructor() {
        super({
          jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
          secretOrKey: SECRET_KEY,
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ['HS256'],
        })
      }

      validate(payload) {
        return { userId: payload.sub }
      }
    }
    Injectable()(JwtStrategy)
    Reflect.defineMetadata('design:paramtypes', [], JwtStrategy)
    providers.push(JwtStrategy, { provide: APP_GUARD, useClass: AuthGuard('jwt') })
  } else if (contender === 'fast-jwt' || contender === 'fast-jwt (cache)') {
    const verify = fastJwtVerifier(contender === 'fast-jwt (cache)')
    class FastJwtGuard {
      canActivate(context) {
        const req = context.switchToHttp().getRequest()
        const payload = verify(req)
        if (payload === undefined) throw new UnauthorizedException()
        req.user = { userId: payload.sub }
        return true
      }
    }
    Injectable()(FastJwtGuard)
    providers.push({ provide: APP_GUARD, useClass: FastJwtGuard })
  }

  class AppModule {}
  Module({ controllers: [ApiController], providers })(AppModule)

  const app = await NestFactory.create(AppModule, { logger: false })
  const instance = app.getHttpAdapter().getInstance()
  instance.disable('x-powered-by')
  instance.disable('etag')
  if (contender === 'express-jwt') {
    // express-jwt in a Nest app: Express middleware on the underlying app.
    const { expressjwt } = require('express-jwt')
    app.use(expressjwt({ secret: SECRET_KEY, algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE }))
    app.use((error, req, res, next) => {
      res.status(error.status ?? 500).json(UNAUTHORIZED)
    })
  }
  await app.listen(0, '127.0.0.1')
  return app.getHttpServer()
}

// ---- main ---------------------------------------------------------------------------------------

async function main() {
  const [framework, contender] = process.argv.slice(2)
  if (!SECRET || !ISSUER || !AUDIENCE) throw new Error('BENCH_SECRET, BENCH_ISSUER and BENCH_AUDIENCE must be set')
  const known = framework === 'express' ? Object.keys(EXPRESS_CONTENDERS) : [...Object.keys(EXPRESS_CONTENDERS), 'no-op guard']
  if (!known.includes(contender)) throw new Error(`unknown contender ${contender}`)
  if (framework !== 'express' && framework !== 'nest') throw new Error(`unknown framework ${framework}`)
  const server = framework === 'express' ? await expressServer(contender) : await nestServer(contender)
  server.keepAliveTimeout = 30_000
  const { port } = server.address()
  if (process.send) process.send({ type: 'listening', port })
  else console.log(`listening on http://127.0.0.1:${port}/api/profile`)
  // The parent reads this process's CPU time around each timed slice: CPU time per request is
  // what the server spent, unaffected by time the machine gave to other processes.
  process.on('message', (message) => {
    if (message?.type === 'cpu' && process.send) process.send({ type: 'cpu', id: message.id, usage: process.cpuUsage() })
  })
  process.on('SIGTERM', () => process.exit(0))
  process.on('disconnect', () => process.exit(0))
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
