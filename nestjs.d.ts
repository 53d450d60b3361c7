/// <reference types="node" />
import type {
  CallHandler,
  CanActivate,
  CustomDecorator,
  DynamicModule,
  ExecutionContext,
  InjectionToken,
  ModuleMetadata,
  NestInterceptor,
  OptionalFactoryDependency,
  PipeTransform,
  Type,
} from '@nestjs/common'
import type { Reflector } from '@nestjs/core'
import type { Observable } from 'rxjs'
import type { Duration, IdempotencyOptions, JWTPayload, Store, TokenVerifier, TokenVerifierOptions, UserPayload } from './index.js'

export type { IdempotencyOptions, JWTPayload, UserPayload } from './index.js'

/**
 * Options of {@link JwtAuthGuard} and {@link FerroAuthModule}: how to verify tokens (the
 * {@link TokenVerifierOptions}: exactly one of `secret`, `publicKey`, `jwks`, or a ready
 * `verifier`), how to find them, and how to look the user up.
 * @example
 * const options: JwtAuthGuardOptions = {
 *   secret: process.env.JWT_ACCESS_SECRET!,
 *   issuer: 'tekcify-auth',
 *   audience: 'tekcify-api',
 *   getUserInfo: async (userId) => (await users.findById(userId)) ?? null,
 *   resolveStatus: async (user) => (await users.findById(user.userId!))?.status,
 * }
 */
export interface JwtAuthGuardOptions extends TokenVerifierOptions {
  /** A verifier built beforehand; replaces the key and claim options above. */
  verifier?: TokenVerifier
  /**
   * Called with the token's `sub` after the token verified. Return the fields to add to the
   * user (they are merged over the token's; `userId` and `claims` stay), or `null`/`undefined`
   * to refuse the request with 401 `User not found`.
   */
  getUserInfo?: (userId: string) => Promise<object | null | undefined> | object | null | undefined
  /**
   * When false, a request without a token passes without a user (a token that does not verify
   * is still a 401). Handlers with `@Scopes`, `@Roles` or `@RequireStatus` still need one. Default true.
   */
  credentialsRequired?: boolean
  /**
   * Reads the token instead of `Authorization: Bearer`. Receives the HTTP request (for 'http' and
   * 'graphql' contexts), the client ('ws') or the RPC context ('rpc'), and the execution context.
   * Required for 'ws' and 'rpc' handlers, which have no HTTP request.
   */
  getToken?: (carrier: any, context?: ExecutionContext) => string | null | undefined | Promise<string | null | undefined>
  /** Called with the verified payload and the token; return true to refuse it (401 `Token has been revoked`). */
  isRevoked?: (payload: JWTPayload, token: string) => boolean | Promise<boolean>
  /** Also read the token from this cookie when there is no `Authorization` header. */
  cookie?: string
  /** The request property the user is written to. Default `'user'`. */
  requestProperty?: string
  /**
   * Remember verified tokens: an LRU (default 1000 entries, `{ max }` to size it) keyed by the
   * whole token string. An entry never outlives the token's `exp` (or `iat + maxTokenAge`),
   * failures are never kept, and `isRevoked` and `getUserInfo` still run on every request.
   * Default `true` here, unlike `TokenVerifier`: a client sends the same access token with every
   * request until it expires. `false` verifies every request from scratch. Remembered claims
   * are shared and frozen, so `user.claims` is read-only.
   */
  cache?: boolean | { max?: number }
  /** The user's current status, compared with the statuses of `@RequireStatus(...)`. */
  resolveStatus?: (user: UserPayload) => unknown
}

/**
 * Options of {@link FerroAuthModule}: the guard's, plus the store and idempotency settings
 * {@link IdempotencyInterceptor} uses (the guard ignores them).
 * @example
 * FerroAuthModule.forRoot({
 *   secret: process.env.JWT_ACCESS_SECRET!,
 *   store: new RedisStore({ url: process.env.REDIS_URL }),
 *   idempotency: { ttl: '10m' },
 * })
 */
export interface FerroAuthModuleOptions extends JwtAuthGuardOptions {
  /**
   * The store of the stateful parts: idempotency records, and the counts of {@link RateLimit}
   * (JwtAuthGuard ignores it). Default: a MemoryStore (for rate limits, one for the whole app).
   */
  store?: Store
  /** {@link IdempotencyInterceptor}'s options; its `store` defaults to `store` above. */
  idempotency?: IdempotencyOptions
}

/**
 * DI token of the options given to {@link FerroAuthModule}.
 * @example
 * constructor(@Inject(FERROAUTH_OPTIONS) private readonly authOptions: JwtAuthGuardOptions) {}
 */
export declare const FERROAUTH_OPTIONS: 'FERROAUTH_OPTIONS'

/**
 * Verifies the bearer token of each request it guards, puts a {@link UserPayload} on
 * `request.user`, and enforces {@link Public}, {@link Scopes}, {@link Roles} and
 * {@link RequireStatus}. Failures are Nest `HttpException`s (`UnauthorizedException`,
 * `ForbiddenException`) with bodies `{ statusCode, message, error }`, after the
 * `WWW-Authenticate` header (RFC 6750) was set on the response, so exception filters see them.
 *
 * Built with options, it uses them. Built by Nest's DI without options (`@UseGuards(JwtAuthGuard)`),
 * it uses the options of `FerroAuthModule`, else those of the most recent guard built with options
 * (so the `APP_GUARD` factory below covers it), else every request fails with an error naming both fixes.
 *
 * Reads the request of 'http' contexts, of 'graphql' ones (the `req` of the GraphQL context),
 * and, with a `getToken` option, authenticates each message of 'ws' gateways and 'rpc'
 * handlers; there it throws a `WsException` / `RpcException` (from `@nestjs/websockets` /
 * `@nestjs/microservices`) with `{ status: 'error', statusCode, message, error }`.
 * @example
 * // As the global guard:
 * @Module({
 *   providers: [{
 *     provide: APP_GUARD,
 *     useFactory: () => new JwtAuthGuard({ secret: process.env.JWT_ACCESS_SECRET!, issuer: 'tekcify-auth' }),
 *   }],
 * })
 * export class AppModule {}
 *
 * // On one route:
 * @Get('protected')
 * @UseGuards(new JwtAuthGuard({ secret: process.env.JWT_ACCESS_SECRET! }))
 * getProtected(@CurrentUser() user: UserPayload) { return { user: user.userId } }
 *
 * // With FerroAuthModule.forRoot(...) imported, through DI:
 * @Controller('api')
 * @UseGuards(JwtAuthGuard)
 * export class ApiController {}
 */
export declare class JwtAuthGuard implements CanActivate {
  constructor(options?: JwtAuthGuardOptions, reflector?: Reflector)
  /**
   * `true` at once when nothing had to be waited for (no `getUserInfo`, `isRevoked`, async
   * `getToken` or `@RequireStatus`), so Nest goes on without a promise; otherwise a Promise of
   * `true`. A refusal is always a rejected promise, never a synchronous throw. A subclass can
   * `return super.canActivate(context)` or `await` it either way.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean>
}

/**
 * What `FerroAuthModule.forRootAsync` takes: the options come from a factory with injected dependencies.
 * @example
 * const authModuleOptions: FerroAuthModuleAsyncOptions = {
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: async (config: ConfigService) => ({ secret: config.getOrThrow('JWT_ACCESS_SECRET') }),
 * }
 */
export interface FerroAuthModuleAsyncOptions {
  /** Modules whose providers `inject` names. */
  imports?: ModuleMetadata['imports']
  useFactory: (...dependencies: any[]) => FerroAuthModuleOptions | Promise<FerroAuthModuleOptions>
  inject?: Array<InjectionToken | OptionalFactoryDependency>
}

/**
 * A global module that provides the options ({@link FERROAUTH_OPTIONS}) and {@link JwtAuthGuard},
 * so `@UseGuards(JwtAuthGuard)` resolves through DI and `{ provide: APP_GUARD, useClass: JwtAuthGuard }` works.
 * Invalid options fail in `forRoot`, or when the app starts for `forRootAsync`.
 * @example
 * @Module({
 *   imports: [
 *     FerroAuthModule.forRootAsync({
 *       imports: [ConfigModule],
 *       inject: [ConfigService],
 *       useFactory: (config: ConfigService) => ({ secret: config.get('JWT_ACCESS_SECRET'), issuer: 'tekcify-auth' }),
 *     }),
 *   ],
 *   providers: [{ provide: APP_GUARD, useClass: JwtAuthGuard }],
 * })
 * export class AppModule {}
 */
export declare class FerroAuthModule {
  /**
   * @example
   * imports: [FerroAuthModule.forRoot({ secret: process.env.JWT_ACCESS_SECRET!, audience: 'tekcify-api' })]
   */
  static forRoot(options: FerroAuthModuleOptions): DynamicModule
  /**
   * @example
   * imports: [FerroAuthModule.forRootAsync({ inject: [ConfigService], useFactory: (config: ConfigService) => ({ secret: config.get('JWT_ACCESS_SECRET') }) })]
   */
  static forRootAsync(options: FerroAuthModuleAsyncOptions): DynamicModule
}

/**
 * `Idempotency-Key` for NestJS HTTP handlers on the Express platform (`@nestjs/platform-express`;
 * the Fastify platform is not supported yet and fails with `ERR_INVALID_OPTION`). The first
 * request with a key runs and its response, as written to the raw response (so `@HttpCode`,
 * headers and exception-filter bodies are kept exactly), is stored before it finishes; a retry
 * with the same key, method, URL and body gets it again with `Idempotent-Replayed: true`, and
 * the handler does not run. 5xx, 408, 425 and 429 answers are not stored. Interceptors run
 * after guards, so the key is scoped to the user {@link JwtAuthGuard} authenticated.
 * Conflicts are `ConflictException`s with bodies `{ statusCode: 409, message, error: 'Conflict' }`
 * (`Idempotency key already used with a different payload`, `A request with this idempotency key
 * is still being processed`); a bad key a `BadRequestException`; the store down a
 * `ServiceUnavailableException` (`Idempotency store is unavailable`).
 *
 * Built by DI (`@UseInterceptors(IdempotencyInterceptor)`), it uses the `store` and
 * `idempotency` options of {@link FerroAuthModule}, else a MemoryStore and the defaults.
 * @example
 * @Post('business-details')
 * @UseInterceptors(IdempotencyInterceptor)
 * submit(@CurrentUser() user: UserPayload, @Body() body: BusinessDetailsDto) {}
 *
 * // With options of its own:
 * @UseInterceptors(new IdempotencyInterceptor({ store: new RedisStore({ url }), required: true }))
 */
export declare class IdempotencyInterceptor implements NestInterceptor {
  constructor(options?: IdempotencyOptions)
  intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>>
}

/**
 * Lets requests through without a token, on a handler or a whole controller. The handler's
 * setting wins over the controller's, so `@Public(false)` closes one handler of a public controller.
 * Uses the metadata key `'isPublic'` ({@link IS_PUBLIC_KEY}), as in the NestJS docs.
 * @example
 * @Public()
 * @Post('login')
 * login(@Body() body: LoginDto) {}
 */
export declare function Public(isPublic?: boolean): CustomDecorator<'isPublic'>

/**
 * Injects the authenticated user, or one of its fields. `undefined` on a public route or
 * without credentials when `credentialsRequired` is false.
 * @example
 * @Get('me')
 * me(@CurrentUser() user: UserPayload, @CurrentUser('email') email: string) {
 *   return { userId: user.userId, email }
 * }
 */
export declare function CurrentUser(
  field?: keyof UserPayload | (string & {}),
  ...pipes: Array<Type<PipeTransform> | PipeTransform>
): ParameterDecorator

/**
 * Requires every listed scope (`scope`/`scp` claim or `scopes` array); 403 with
 * `WWW-Authenticate: Bearer error="insufficient_scope", ...` otherwise. A handler's list
 * replaces its controller's; `@Scopes()` with no scopes lifts the controller's requirement.
 * @example
 * @Scopes('posts:write')
 * @Post('posts')
 * createPost() {}
 */
export declare function Scopes(...scopes: string[]): CustomDecorator<string>

/**
 * Requires every listed role (`roles` array or `role` claim); 403 with `error="insufficient_scope"` otherwise.
 * A handler's list replaces its controller's; `@Roles()` with no roles lifts the controller's requirement.
 * @example
 * @Roles('admin')
 * @Delete('users/:id')
 * removeUser() {}
 */
export declare function Roles(...roles: string[]): CustomDecorator<string>

/**
 * Requires that the `resolveStatus(user)` option returns one of `statuses`; otherwise 403
 * `{ statusCode: 403, message: 'You do not have the required status to perform this action', error: 'Forbidden' }`.
 * A handler's list replaces its controller's; `@RequireStatus()` with no statuses lifts the controller's requirement.
 * @example
 * @RequireStatus('ONBOARDING_BUSINESS_PENDING')
 * @Post('business-details')
 * submitBusinessDetails(@CurrentUser() user: UserPayload, @Body() body: BusinessDetailsDto) {}
 */
export declare function RequireStatus(...statuses: Array<string | number>): CustomDecorator<string>

/**
 * Metadata key of {@link Public}.
 * @example
 * const isPublic = reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()])
 */
export declare const IS_PUBLIC_KEY: 'isPublic'
/**
 * Metadata key of {@link Scopes}.
 * @example
 * const scopes = reflector.getAllAndOverride<string[]>(SCOPES_KEY, [context.getHandler(), context.getClass()])
 */
export declare const SCOPES_KEY: 'ferroauth:scopes'
/**
 * Metadata key of {@link Roles}.
 * @example
 * const roles = reflector.getAllAndOverride<string[]>(ROLES_KEY, [context.getHandler(), context.getClass()])
 */
export declare const ROLES_KEY: 'ferroauth:roles'
/**
 * Metadata key of {@link RequireStatus}.
 * @example
 * const statuses = reflector.getAllAndOverride<Array<string | number>>(REQUIRED_STATUS_KEY, [context.getHandler(), context.getClass()])
 */
export declare const REQUIRED_STATUS_KEY: 'ferroauth:requiredStatus'
/**
 * The message of the 403 that {@link RequireStatus} answers with.
 * @example
 * expect(body).toEqual({ statusCode: 403, message: REQUIRED_STATUS_MESSAGE, error: 'Forbidden' })
 */
export declare const REQUIRED_STATUS_MESSAGE: 'You do not have the required status to perform this action'

/**
 * Options of {@link RateLimit}, after its limit and window.
 * @example
 * const perEmail: RateLimitOptions = { name: 'login', key: (req) => String(req.body?.email).toLowerCase() }
 */
export interface RateLimitOptions {
  /**
   * Limiters with the same name share their counts per key (see `RateLimiterOptions.name`).
   * Letters, digits, `_`, `-`, `.`; up to 64.
   */
  name?: string
  /**
   * The key a request counts under, used as it is (so routes with the same limit, window and
   * name can share it). Default: the controller and handler names and the client's address
   * (`request.ip`), so each route counts on its own, as with @nestjs/throttler.
   */
  key?: (request: any) => string | Promise<string>
  /** Let requests through when the store fails, instead of 503. Default false. */
  failOpen?: boolean
  /** Set `X-RateLimit-Limit`, `-Remaining` and `-Reset` (seconds) on responses. Default true. */
  headers?: boolean
}

/**
 * Allows `limit` requests per `window` (seconds, or a string like `'1m'`) on a handler or a
 * whole controller, as a sliding window (see `RateLimiter`); the handler's limit replaces the
 * controller's. Applies {@link RateLimitGuard} by itself, so no module is needed: the counts
 * live in one MemoryStore for the app, or in the `store` of `FerroAuthModule.forRoot({ ..., store })`.
 *
 * Denied: an `HttpException` 429 with the body `{ statusCode: 429, message: 'ThrottlerException: Too Many Requests' }`
 * (as @nestjs/throttler) and `Retry-After`; `X-RateLimit-Limit`, `-Remaining` and `-Reset` on
 * every counted response. A failing store: 503 `{ statusCode: 503, message: 'Rate limit store is unavailable', error: 'Service Unavailable' }`
 * unless `failOpen`. Bad settings throw when the class is defined. HTTP handlers only: on a
 * GraphQL, WebSocket or RPC handler the guard throws `ERR_INVALID_OPTION`.
 * @example
 * @Controller('auth')
 * @RateLimit(100, '1m')
 * export class AuthController {
 *   @Post('login')
 *   @RateLimit(5, '15m', { name: 'login', key: (req) => String(req.body?.email).toLowerCase() })
 *   login(@Body() body: LoginDto) {}
 * }
 */
export declare function RateLimit(limit: number, window: Duration, options?: RateLimitOptions): MethodDecorator & ClassDecorator

/**
 * Lifts the rate limit of a handler or a controller; `@SkipRateLimit(false)` on a handler
 * restores its controller's.
 * @example
 * @SkipRateLimit()
 * @Get('health')
 * health() { return { ok: true } }
 */
export declare function SkipRateLimit(skip?: boolean): CustomDecorator<string>

/**
 * The guard behind {@link RateLimit}, which applies it; use it directly only to put it in
 * `APP_GUARD` (handlers without `@RateLimit()` pass). Built by Nest's DI, it takes the
 * `store` of {@link FerroAuthModule}'s options.
 * @example
 * providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }]
 */
export declare class RateLimitGuard implements CanActivate {
  constructor(options?: { store?: Store }, reflector?: Reflector)
  canActivate(context: ExecutionContext): Promise<boolean>
}

/**
 * Metadata key of {@link RateLimit}.
 * @example
 * const limited = reflector.getAllAndOverride(RATE_LIMIT_KEY, [context.getHandler(), context.getClass()]) !== undefined
 */
export declare const RATE_LIMIT_KEY: 'ferroauth:rateLimit'
/**
 * Metadata key of {@link SkipRateLimit}.
 * @example
 * const skipped = reflector.getAllAndOverride<boolean>(SKIP_RATE_LIMIT_KEY, [context.getHandler(), context.getClass()])
 */
export declare const SKIP_RATE_LIMIT_KEY: 'ferroauth:skipRateLimit'

/**
 * Refresh-token cookies for controllers that take the Express response with
 * `@Res({ passthrough: true })` (so the handler's return value is still the body):
 * `HttpOnly`, `SameSite=None; Secure` in production, `SameSite=Lax` otherwise,
 * `Path=/auth/refresh`. The same functions as the package root's; see {@link setRefreshCookie}
 * and {@link RefreshCookieOptions} for the rules and defaults.
 * @example
 * import { Controller, Post, Req, Res } from '@nestjs/common'
 * import type { Request, Response } from 'express'
 * import { setRefreshCookie, readRefreshCookie } from 'ferroauth/nestjs'
 *
 * @Controller('auth')
 * export class AuthController {
 *   constructor(private readonly refresh: RefreshTokenManager) {}
 *
 *   @Post('refresh')
 *   async refreshTokens(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
 *     const next = await this.refresh.rotate(readRefreshCookie(req), req)
 *     setRefreshCookie(res, next)
 *     return { accessToken: this.signer.sign({ sub: next.userId }) }
 *   }
 * }
 */
export { setRefreshCookie, clearRefreshCookie, readRefreshCookie } from './index.js'
export type { RefreshCookieOptions, RefreshCookieRequest, RefreshCookieResponse, RefreshCookieToken } from './index.js'
