'use strict'

// The NestJS adapter: JwtAuthGuard, FerroAuthModule and the decorators. This file and the
// root nestjs.js are the only ones that require @nestjs/*. The work itself (finding the
// token, verifying it, the 401/403 bodies and WWW-Authenticate values) is js/authenticate.js;
// here it is only translated into Nest's execution contexts, DI and HttpExceptions.

const {
  Injectable,
  Inject,
  Optional,
  Module,
  SetMetadata,
  createParamDecorator,
  HttpException,
  UnauthorizedException,
  ForbiddenException,
  BadRequestException,
  ConflictException,
  ServiceUnavailableException,
  applyDecorators,
  UseGuards,
} = require('@nestjs/common')
const { Reflector } = require('@nestjs/core')
const { of } = require('rxjs')
const { createRequestIdempotency } = require('./idempotent-request.js')
const { createRequestAuthenticator, checkGrants, MISSING_TOKEN } = require('./authenticate.js')
const { FerroAuthError, ErrorCodes, argTypeError } = require('./errors.js')
const { RateLimiter, kDecide, TOO_MANY_REQUESTS, STORE_UNAVAILABLE, isStoreFailure, decisionHeaders } = require('./ratelimit.js')
const { MemoryStore, storeHandle } = require('./store.js')

/** DI token of the options given to `FerroAuthModule.forRoot` / `forRootAsync`. */
const FERROAUTH_OPTIONS = 'FERROAUTH_OPTIONS'

/** The key NestJS's own docs use, so an app's existing `SetMetadata('isPublic', true)` is honoured too. */
const IS_PUBLIC_KEY = 'isPublic'
const SCOPES_KEY = 'ferroauth:scopes'
const ROLES_KEY = 'ferroauth:roles'
const REQUIRED_STATUS_KEY = 'ferroauth:requiredStatus'

const REQUIRED_STATUS_MESSAGE = 'You do not have the required status to perform this action'

/**
 * Where the guard also leaves the user when `requestProperty` is not `'user'`, so that
 * `@CurrentUser()` finds it. Only then: Express gives every request object a prototype of its
 * own making, after which V8 builds a new hidden class for each property added to it, and that
 * costs about 2 µs a property a request.
 */
const AUTHENTICATED_USER = Symbol('ferroauth.user')

/**
 * The last authentication: a second guard with the same options on the same request (an
 * APP_GUARD and a `@UseGuards(JwtAuthGuard)`) reuses its outcome. One slot, not a property of
 * the request (see above): guards of one request run one after another, so unless a hook made
 * the first one wait, the slot still holds that request's outcome when the second one runs.
 * Outcomes a hook waited for (getUserInfo, isRevoked, an async getToken) are also kept per
 * request in `awaitedOutcomes`, so other requests running meanwhile cannot make the second
 * guard look the user up again.
 */
let lastAuthentication = { carrier: undefined, config: undefined, message: undefined, outcome: undefined }
const awaitedOutcomes = new WeakMap()
/** Whether awaitedOutcomes was ever written: an app whose guards await nothing skips the lookup. */
let anyAwaited = false
/** Contexts whose carrier (a WebSocket client, an RPC context) may serve more than one message. */
const PER_MESSAGE_CONTEXTS = new Set(['ws', 'rpc'])

const NOT_CONFIGURED =
  'JwtAuthGuard has no options. Either import FerroAuthModule.forRoot({ secret, ... }) ' +
  '(or FerroAuthModule.forRootAsync) in your root module, or construct the guard with options, ' +
  'e.g. { provide: APP_GUARD, useFactory: () => new JwtAuthGuard({ secret, ... }) } ' +
  'or @UseGuards(new JwtAuthGuard({ secret, ... }))'

// --- options ---------------------------------------------------------------------------------

/** options object -> its parsed form; the verifier is built once per options object. */
const configs = new WeakMap()

function configFor(options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw argTypeError('options', 'an object', options)
  }
  let config = configs.get(options)
  if (config === undefined) {
    const { resolveStatus, requestProperty = 'user', getToken } = options
    if (resolveStatus !== undefined && typeof resolveStatus !== 'function') {
      throw argTypeError('options.resolveStatus', 'a function', resolveStatus)
    }
    if (typeof requestProperty !== 'string' || requestProperty === '') {
      throw argTypeError('options.requestProperty', 'a non-empty string', requestProperty)
    }
    config = {
      // Synchronous unless getToken, getUserInfo or isRevoked make it a promise.
      authenticate: createRequestAuthenticator(options),
      resolveStatus,
      requestProperty,
      hasGetToken: typeof getToken === 'function',
    }
    configs.set(options, config)
  }
  return config
}

/** The options of the FerroAuthModule of the running app (cleared when that app closes). */
let moduleConfig
/** The options of the most recent guard constructed with options of its own (not FerroAuthModule's). */
let lastConfig
/** Options objects that came through FerroAuthModule. */
const moduleOptions = new WeakSet()

// --- execution contexts ----------------------------------------------------------------------

const isObject = (v) => v !== null && typeof v === 'object'

function noRequest(type, why) {
  return new FerroAuthError(ErrorCodes.ERR_INVALID_OPTION, `JwtAuthGuard found no request in this '${type}' context: ${why}`)
}

/** The Express/Fastify request inside a GraphQL context (`args[2]`), without requiring @nestjs/graphql. */
function graphqlRequest(graphqlContext) {
  if (!isObject(graphqlContext)) return undefined
  const { req, request, reply } = graphqlContext
  if (isObject(req)) return req
  if (isObject(request)) return request
  if (isObject(reply) && isObject(reply.request)) return reply.request // mercurius
  return undefined
}

/**
 * An HTTP context's request (argument 0) or response (argument 1). Nest's switchToHttp()
 * allocates three closures and adds them to the context on every call; a context without
 * getArgByIndex (a hand-made one in a unit test) is asked through switchToHttp().
 */
const REQUEST = 0
const RESPONSE = 1
function httpArgument(context, index) {
  const value = typeof context.getArgByIndex === 'function' ? context.getArgByIndex(index) : undefined
  if (isObject(value)) return value
  const http = context.switchToHttp()
  return index === REQUEST ? http.getRequest() : http.getResponse()
}

/**
 * The object the token is read from and the user written to: the HTTP request ('http', and
 * 'graphql' through its context), the client ('ws') or the RPC context ('rpc').
 * With a guard's `config`, a 'ws' or 'rpc' context also needs its getToken option.
 */
function carrierOf(context, config, type = context.getType()) {
  if (type === 'http') {
    const request = httpArgument(context, REQUEST)
    if (!isObject(request)) throw noRequest(type, 'switchToHttp().getRequest() returned nothing')
    return request
  }
  if (type === 'graphql') {
    const request = graphqlRequest(context.getArgs()[2])
    if (request === undefined) {
      throw noRequest(type, 'the GraphQL context (the third resolver argument) has no `req`. ' +
        'Put it there with GraphQLModule.forRoot({ context: ({ req }) => ({ req }) })')
    }
    return request
  }
  if (type === 'ws' || type === 'rpc') {
    if (config !== undefined && !config.hasGetToken) {
      throw noRequest(type, 'there is no HTTP request to read an Authorization header from. ' +
        'Give the guard a getToken(carrier, context) option that returns the token from the ' +
        (type === 'ws' ? 'WebSocket client (e.g. (client) => client.handshake?.auth?.token)' : 'RPC context or message') +
        ', or guard only HTTP and GraphQL handlers')
    }
    let carrier
    if (type === 'ws') {
      carrier = context.switchToWs().getClient()
    } else {
      const rpc = context.switchToRpc()
      carrier = rpc.getContext()
      if (!isObject(carrier)) carrier = rpc.getData()
    }
    if (!isObject(carrier)) throw noRequest(type, `the ${type === 'ws' ? 'client' : 'RPC context and data'} is not an object`)
    return carrier
  }
  throw noRequest(type, 'JwtAuthGuard understands http, graphql, ws and rpc contexts')
}

/** The response to put WWW-Authenticate on, when there is one. */
function responseOf(context, carrier) {
  const type = context.getType()
  if (type === 'http') return httpArgument(context, RESPONSE)
  if (type === 'graphql') {
    const graphqlContext = context.getArgs()[2]
    return graphqlContext?.res ?? graphqlContext?.reply ?? carrier.res
  }
  return undefined
}

function setHeader(response, name, value) {
  if (!isObject(response) || response.headersSent) return
  if (typeof response.setHeader === 'function') response.setHeader(name, value) // Express, node:http
  else if (typeof response.header === 'function') response.header(name, value) // Fastify
}

/**
 * The exception class Nest's filters understand on a WebSocket or microservice handler. Those
 * filters answer anything else (an HttpException included) with "Internal server error" and
 * log it, so a routine 401 would read as a crash. Required lazily: an app with such handlers
 * has the package; one without never gets here.
 */
const TRANSPORT_EXCEPTIONS = { ws: ['@nestjs/websockets', 'WsException'], rpc: ['@nestjs/microservices', 'RpcException'] }
const transportExceptionClasses = new Map()

function transportExceptionClass(type) {
  if (!transportExceptionClasses.has(type)) {
    const [packageName, className] = TRANSPORT_EXCEPTIONS[type]
    let Exception
    try {
      Exception = require(packageName)[className]
    } catch {
      // Not installed: the HttpException is the best there is.
    }
    transportExceptionClasses.set(type, typeof Exception === 'function' ? Exception : null)
  }
  return transportExceptionClasses.get(type)
}

/**
 * The exception for a refused request: an HttpException over HTTP and GraphQL; over WebSocket
 * and microservice transports a WsException / RpcException whose error is the same body with
 * Nest's `status: 'error'` in front, which their filters send to the client as it is.
 */
function refusal(context, status, body) {
  const type = context.getType()
  if (type === 'ws' || type === 'rpc') {
    const Exception = transportExceptionClass(type)
    if (Exception !== null) return new Exception({ status: 'error', ...body })
  }
  if (status === 401) return new UnauthorizedException(body)
  if (status === 403) return new ForbiddenException(body)
  return new HttpException(body, status)
}

/** Throws the exception for a failed outcome, after setting its WWW-Authenticate header. */
function reject(context, carrier, outcome) {
  if (outcome.wwwAuthenticate !== undefined) {
    setHeader(responseOf(context, carrier), 'WWW-Authenticate', outcome.wwwAuthenticate)
  }
  throw refusal(context, outcome.status, { ...outcome.body }) // a copy: exception filters may add to it
}

/** What a handler asks for, read with the handler-then-controller override rule. */
function readRequirements(reflector, targets) {
  const list = (key) => {
    const value = reflector.getAllAndOverride(key, targets)
    return value !== undefined && value.length > 0 ? value : undefined
  }
  return {
    isPublic: reflector.getAllAndOverride(IS_PUBLIC_KEY, targets) === true,
    scopes: list(SCOPES_KEY),
    roles: list(ROLES_KEY),
    statuses: list(REQUIRED_STATUS_KEY),
  }
}

/**
 * What `read(targets)` finds in a route's decorator metadata, cached per handler and
 * controller: decorators run once, at class definition, so it never goes stale and each
 * request only looks it up. `cache` is a WeakMap handler -> { controller, value, others }.
 */
function perRoute(cache, context, read) {
  const handler = context.getHandler?.()
  const controller = context.getClass?.()
  if (typeof handler !== 'function' || typeof controller !== 'function') {
    return read([handler, controller].filter((target) => target !== undefined && target !== null))
  }
  // A handler nearly always belongs to one controller: its first one is kept beside it, so a
  // request costs one lookup; controllers inheriting the handler get a WeakMap of their own.
  let route = cache.get(handler)
  if (route === undefined) {
    route = { controller, value: read([handler, controller]), others: undefined }
    cache.set(handler, route)
  }
  if (route.controller === controller) return route.value
  route.others ??= new WeakMap()
  if (route.others.has(controller)) return route.others.get(controller)
  const value = read([handler, controller])
  route.others.set(controller, value)
  return value
}

const requirementsCache = new WeakMap()

function requirementsOf(reflector, context) {
  return perRoute(requirementsCache, context, (targets) => readRequirements(reflector, targets))
}

// --- the guard -------------------------------------------------------------------------------

/**
 * Verifies the bearer token of every request it guards, puts the user on the request, and
 * enforces `@Public()`, `@Scopes()`, `@Roles()` and `@RequireStatus()`.
 */
class JwtAuthGuard {
  #config
  #reflector

  constructor(options, reflector) {
    this.#reflector = reflector ?? new Reflector()
    if (options !== undefined && options !== null) {
      this.#config = configFor(options)
      if (!moduleOptions.has(options)) lastConfig = this.#config
    }
  }

  /**
   * `true` at once when nothing had to be waited for (Nest then goes on without a promise and
   * the microtask turns it costs), otherwise a Promise of it. A refusal is always a rejected
   * promise, never a synchronous throw, as from an async function.
   */
  canActivate(context) {
    try {
      const requirements = requirementsOf(this.#reflector, context)
      if (requirements.isPublic) return true

      const config = this.#config ?? moduleConfig ?? lastConfig
      if (config === undefined) throw new FerroAuthError(ErrorCodes.ERR_INVALID_OPTION, NOT_CONFIGURED)
      const type = context.getType()
      const carrier = carrierOf(context, config, type)

      // A WebSocket client outlives its messages and each message brings its own token, so
      // there an outcome is reused only by guards of the same message (same handler arguments).
      const message = PER_MESSAGE_CONTEXTS.has(type) ? context.getArgs() : undefined
      const last = lastAuthentication.carrier === carrier ? lastAuthentication : anyAwaited ? awaitedOutcomes.get(carrier) : undefined
      if (last !== undefined && last.config === config && last.message === message) {
        return admit(context, config, carrier, message, requirements, last.outcome)
      }
      const outcome = config.authenticate(carrier, context)
      if (typeof outcome.then !== 'function') {
        lastAuthentication = { carrier, config, message, outcome }
        return admit(context, config, carrier, message, requirements, outcome)
      }
      return outcome.then((settled) => {
        const entry = { carrier, config, message, outcome: settled }
        awaitedOutcomes.set(carrier, entry)
        anyAwaited = true
        lastAuthentication = entry
        return admit(context, config, carrier, message, requirements, settled)
      })
    } catch (error) {
      return Promise.reject(error)
    }
  }
}

/**
 * Puts the outcome's user on the carrier and checks the route's requirements: `true`, a
 * Promise of it (when `@RequireStatus` asks resolveStatus), or a throw.
 */
function admit(context, config, carrier, message, requirements, outcome) {
  if (!outcome.ok) reject(context, carrier, outcome)
  const user = outcome.user
  const property = config.requestProperty
  if (user !== undefined) {
    carrier[property] = user
    if (property !== 'user') carrier[AUTHENTICATED_USER] = user
  } else if (message !== undefined && carrier[property] !== undefined) {
    // A message without credentials (credentialsRequired: false) on a client that an earlier
    // message authenticated: that user is not this message's.
    carrier[property] = undefined
    if (property !== 'user') carrier[AUTHENTICATED_USER] = undefined
  }

  const { scopes, roles, statuses } = requirements
  if (scopes === undefined && roles === undefined && statuses === undefined) return true
  // Requirements but no credentials (credentialsRequired: false): a 401, not a 403 (RFC 6750 §3.1).
  if (user === undefined) reject(context, carrier, MISSING_TOKEN)
  if (scopes !== undefined) {
    const grant = checkGrants(user, 'scopes', scopes)
    if (!grant.ok) reject(context, carrier, grant)
  }
  if (roles !== undefined) {
    const grant = checkGrants(user, 'roles', roles)
    if (!grant.ok) reject(context, carrier, grant)
  }
  if (statuses === undefined) return true
  if (config.resolveStatus === undefined) {
    throw new FerroAuthError(ErrorCodes.ERR_INVALID_OPTION,
      '@RequireStatus() needs a resolveStatus(user) option on JwtAuthGuard or FerroAuthModule ' +
      'that returns the current status of the user')
  }
  return Promise.resolve(config.resolveStatus(user)).then((status) => {
    if (!statuses.includes(status)) {
      throw refusal(context, 403, { statusCode: 403, message: REQUIRED_STATUS_MESSAGE, error: 'Forbidden' })
    }
    return true
  })
}

Injectable()(JwtAuthGuard)
// What TypeScript would emit for constructor(@Optional() @Inject(FERROAUTH_OPTIONS) options, reflector: Reflector).
Inject(FERROAUTH_OPTIONS)(JwtAuthGuard, undefined, 0)
Optional()(JwtAuthGuard, undefined, 0)
Reflect.defineMetadata('design:paramtypes', [Object, Reflector], JwtAuthGuard)

// --- the module ------------------------------------------------------------------------------

function registerModuleOptions(options) {
  moduleConfig = configFor(options)
  moduleOptions.add(options)
  return options
}

/**
 * Provides the options (`FERROAUTH_OPTIONS`) and `JwtAuthGuard` to the whole app.
 */
class FerroAuthModule {
  #options

  constructor(options) {
    this.#options = options
  }

  /** When the app closes, its options stop being the fallback of guards built without options. */
  onModuleDestroy() {
    if (moduleConfig !== undefined && moduleConfig === configs.get(this.#options)) moduleConfig = undefined
  }

  static forRoot(options) {
    configFor(options) // invalid options fail here, at import time, not on the first request
    if (options.store !== undefined || options.idempotency !== undefined) idempotencyFor(options)
    return {
      module: FerroAuthModule,
      global: true,
      providers: [{ provide: FERROAUTH_OPTIONS, useFactory: () => registerModuleOptions(options) }, JwtAuthGuard],
      exports: [FERROAUTH_OPTIONS, JwtAuthGuard],
    }
  }

  static forRootAsync(asyncOptions) {
    if (!isObject(asyncOptions)) throw argTypeError('asyncOptions', 'an object', asyncOptions)
    const { imports = [], useFactory, inject = [] } = asyncOptions
    if (typeof useFactory !== 'function') throw argTypeError('asyncOptions.useFactory', 'a function', useFactory)
    if (!Array.isArray(imports)) throw argTypeError('asyncOptions.imports', 'an array', imports)
    if (!Array.isArray(inject)) throw argTypeError('asyncOptions.inject', 'an array', inject)
    return {
      module: FerroAuthModule,
      global: true,
      imports,
      providers: [
        {
          provide: FERROAUTH_OPTIONS,
          useFactory: async (...dependencies) => registerModuleOptions(await useFactory(...dependencies)),
          inject,
        },
        JwtAuthGuard,
      ],
      exports: [FERROAUTH_OPTIONS, JwtAuthGuard],
    }
  }
}

Inject(FERROAUTH_OPTIONS)(FerroAuthModule, undefined, 0)
Reflect.defineMetadata('design:paramtypes', [Object], FerroAuthModule)
Module({})(FerroAuthModule)

// --- idempotency ---------------------------------------------------------------------------

const FASTIFY_UNSUPPORTED =
  'IdempotencyInterceptor supports the Express platform (@nestjs/platform-express) only; ' +
  'the Fastify platform is not supported yet'

/** FerroAuthModule options -> the idempotency handler made of their `store` and `idempotency`. */
const moduleIdempotency = new WeakMap()

function idempotencyFor(moduleOptions) {
  let handler = moduleIdempotency.get(moduleOptions)
  if (handler === undefined) {
    const { store, idempotency } = moduleOptions
    if (idempotency !== undefined && !isObject(idempotency)) throw argTypeError('options.idempotency', 'an object', idempotency)
    handler = createRequestIdempotency({ store, ...idempotency })
    moduleIdempotency.set(moduleOptions, handler)
  }
  return handler
}

const exceptionFor = { 400: BadRequestException, 409: ConflictException, 503: ServiceUnavailableException }

/**
 * `Idempotency-Key` for NestJS handlers (Express platform): the first request with a key runs
 * and its response, as written to the raw response, is stored; a retry with the same key and
 * payload gets it again, with `Idempotent-Replayed: true`. Conflicts are HttpExceptions.
 * Interceptors run after guards, so the key is scoped to the user JwtAuthGuard authenticated.
 */
class IdempotencyInterceptor {
  #idempotency

  constructor(options) {
    this.#idempotency = isObject(options) && moduleOptions.has(options) ? idempotencyFor(options) : createRequestIdempotency(options)
  }

  async intercept(context, next) {
    if (context.getType() !== 'http') return next.handle()
    const response = httpArgument(context, RESPONSE)
    if (!isObject(response) || typeof response.setHeader !== 'function' || typeof response.getHeaders !== 'function') {
      throw new FerroAuthError(ErrorCodes.ERR_INVALID_OPTION, FASTIFY_UNSUPPORTED)
    }
    const outcome = await this.#idempotency.start(httpArgument(context, REQUEST), response)
    if (outcome.kind === 'reject') throw new exceptionFor[outcome.status]({ ...outcome.body })
    // The stored answer is sent; Nest's own reply of `undefined` to a sent response writes nothing.
    if (outcome.kind === 'replayed') return of(undefined)
    return next.handle()
  }
}

Injectable()(IdempotencyInterceptor)
// What TypeScript would emit for constructor(@Optional() @Inject(FERROAUTH_OPTIONS) options).
Inject(FERROAUTH_OPTIONS)(IdempotencyInterceptor, undefined, 0)
Optional()(IdempotencyInterceptor, undefined, 0)
Reflect.defineMetadata('design:paramtypes', [Object], IdempotencyInterceptor)

// --- decorators ------------------------------------------------------------------------------

/** Marks a handler or a controller as open; `@Public(false)` on a handler closes it again. */
function Public(isPublic = true) {
  if (typeof isPublic !== 'boolean') throw argTypeError('isPublic', 'a boolean', isPublic)
  return SetMetadata(IS_PUBLIC_KEY, isPublic)
}

function stringList(name, values) {
  for (const value of values) {
    if (typeof value !== 'string') throw argTypeError(`@${name}() arguments`, 'strings', value)
  }
  return Object.freeze([...values])
}

/** Requires every listed scope (handler's list wins over the controller's; an empty list lifts it). */
function Scopes(...scopes) {
  return SetMetadata(SCOPES_KEY, stringList('Scopes', scopes))
}

/** Requires every listed role (handler's list wins over the controller's; an empty list lifts it). */
function Roles(...roles) {
  return SetMetadata(ROLES_KEY, stringList('Roles', roles))
}

/** Requires that `resolveStatus(user)` returns one of `statuses`. */
function RequireStatus(...statuses) {
  for (const status of statuses) {
    if (typeof status !== 'string' && typeof status !== 'number') throw argTypeError('@RequireStatus() arguments', 'strings or numbers', status)
  }
  return SetMetadata(REQUIRED_STATUS_KEY, Object.freeze([...statuses]))
}

/** The user the guard authenticated, or one field of it with `@CurrentUser('email')`. */
const CurrentUser = createParamDecorator((field, context) => {
  const carrier = carrierOf(context, undefined)
  const user = carrier[AUTHENTICATED_USER] ?? carrier.user
  return field === undefined || field === null ? user : user?.[field]
})

// --- rate limiting ---------------------------------------------------------------------------

const RATE_LIMIT_KEY = 'ferroauth:rateLimit'
const SKIP_RATE_LIMIT_KEY = 'ferroauth:skipRateLimit'

/**
 * request -> the handler it was counted for, so a guard applied at two levels counts it once.
 * A WeakMap rather than a property of the request, for the reason AUTHENTICATED_USER gives.
 */
const rateLimited = new WeakMap()

/** Where rate limits live when no FerroAuthModule names a store: one per process, made on first use. */
let defaultRateLimitStore

const isFunction = (v) => typeof v === 'function'

/** One @RateLimit(): its settings, checked at decoration, and a limiter per store. */
function rateLimitRule(limit, window, opts) {
  if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts))) {
    throw argTypeError('@RateLimit() options', 'an object', opts)
  }
  const { name, key, failOpen = false, headers = true } = opts ?? {}
  if (key !== undefined && !isFunction(key)) throw argTypeError('@RateLimit() options.key', 'a function', key)
  if (typeof failOpen !== 'boolean') throw argTypeError('@RateLimit() options.failOpen', 'a boolean', failOpen)
  if (typeof headers !== 'boolean') throw argTypeError('@RateLimit() options.headers', 'a boolean', headers)
  const settings = { limit, window, name }
  new RateLimiter(settings) // bad settings fail here, when the class is defined
  const limiters = new WeakMap()
  return Object.freeze({
    key,
    failOpen,
    headers,
    limiterFor(store) {
      let limiter = limiters.get(store)
      if (limiter === undefined) {
        limiter = new RateLimiter({ ...settings, store })
        limiters.set(store, limiter)
      }
      return limiter
    },
  })
}

/** handler -> controller -> `{ rule, handler, defaultKey }` of a rate-limited route, or null. */
const rateLimitRoutes = new WeakMap()

/**
 * Enforces the `@RateLimit()` of the handler (else of its controller): 429 as
 * @nestjs/throttler answers, with `Retry-After` and `X-RateLimit-*` headers. HTTP only.
 */
class RateLimitGuard {
  #store
  #reflector

  constructor(options, reflector) {
    this.#reflector = reflector ?? new Reflector()
    if (options !== undefined && options !== null && options.store !== undefined) {
      storeHandle(options.store, 'options.store') // a TypeError now rather than on the first request
      this.#store = options.store
    }
  }

  async canActivate(context) {
    const route = perRoute(rateLimitRoutes, context, (targets) => {
      if (this.#reflector.getAllAndOverride(SKIP_RATE_LIMIT_KEY, targets) === true) return null
      const rule = this.#reflector.getAllAndOverride(RATE_LIMIT_KEY, targets)
      if (rule === undefined) return null
      const [handler, controller] = targets
      return { rule, handler, defaultKey: `${controller?.name}.${handler?.name}:` }
    })
    if (route === null) return true
    const { rule, handler } = route
    const type = context.getType()
    if (type !== 'http') {
      throw new FerroAuthError(ErrorCodes.ERR_INVALID_OPTION,
        `RateLimitGuard only supports HTTP handlers, not this '${type}' one: remove @RateLimit() from it, or limit it another way`)
    }
    const request = httpArgument(context, REQUEST)
    if (rateLimited.get(request) === handler) return true
    rateLimited.set(request, handler)

    const store = this.#store ?? (defaultRateLimitStore ??= new MemoryStore())
    const key = rule.key !== undefined
      ? await rule.key(request)
      : `${route.defaultKey}${request.ip ?? request.socket?.remoteAddress ?? 'unknown'}`
    let decision
    try {
      decision = await rule.limiterFor(store)[kDecide](key)
    } catch (error) {
      if (!isStoreFailure(error)) throw error
      if (rule.failOpen) return true
      throw new HttpException({ ...STORE_UNAVAILABLE }, 503)
    }
    const response = httpArgument(context, RESPONSE)
    for (const [name, value] of decisionHeaders(decision, rule.headers)) setHeader(response, name, value)
    if (!decision.allowed) throw new HttpException({ ...TOO_MANY_REQUESTS }, 429)
    return true
  }
}

Injectable()(RateLimitGuard)
// What TypeScript would emit for constructor(@Optional() @Inject(FERROAUTH_OPTIONS) options, reflector: Reflector).
Inject(FERROAUTH_OPTIONS)(RateLimitGuard, undefined, 0)
Optional()(RateLimitGuard, undefined, 0)
Reflect.defineMetadata('design:paramtypes', [Object, Reflector], RateLimitGuard)

/**
 * Allows `limit` requests per `window` on a handler or a whole controller (the handler's
 * wins), per client address and route unless `opts.key(request)` says otherwise; applies
 * RateLimitGuard itself.
 */
function RateLimit(limit, window, opts) {
  return applyDecorators(SetMetadata(RATE_LIMIT_KEY, rateLimitRule(limit, window, opts)), UseGuards(RateLimitGuard))
}

/** Lifts the rate limit of a handler or controller (`@SkipRateLimit(false)` restores it on a handler). */
function SkipRateLimit(skip = true) {
  if (typeof skip !== 'boolean') throw argTypeError('skip', 'a boolean', skip)
  return SetMetadata(SKIP_RATE_LIMIT_KEY, skip)
}

module.exports = {
  JwtAuthGuard,
  IdempotencyInterceptor,
  FerroAuthModule,
  FERROAUTH_OPTIONS,
  Public,
  CurrentUser,
  Scopes,
  Roles,
  RequireStatus,
  IS_PUBLIC_KEY,
  SCOPES_KEY,
  ROLES_KEY,
  REQUIRED_STATUS_KEY,
  REQUIRED_STATUS_MESSAGE,
  RateLimitGuard,
  RateLimit,
  SkipRateLimit,
  RATE_LIMIT_KEY,
  SKIP_RATE_LIMIT_KEY,
}
