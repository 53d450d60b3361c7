/// <reference types="node" />
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { IdempotencyOptions, JWTPayload, RateLimiterOptions, TokenVerifier, TokenVerifierOptions, UserPayload } from './index.js'

export type { IdempotencyOptions, JWTPayload, TokenVerifierOptions, UserPayload } from './index.js'

declare global {
  namespace Express {
    /**
     * The user ferroauth puts on `req.user`: a {@link UserPayload}. Add your own fields here
     * (those `getUserInfo` returns) by declaration merging:
     * `declare global { namespace Express { interface User { name?: string } } }`.
     * The same interface Passport's types use, so both can be installed together.
     */
    interface User extends UserPayload {}
    interface Request {
      /** Set by `createAuthMiddleware` (`ferroauth/express`) once the token verified. */
      user?: User
    }
  }
}

/**
 * The request `getToken` receives: a node:http request, with whatever Express or other
 * middleware added (`cookies`, `query`, ...). Name your own type with the generic parameter
 * of {@link createAuthMiddleware} when you want more precision.
 */
export type AuthRequest = IncomingMessage & { [property: string]: any }

/** What the middleware calls when it is done, as Express's and Connect's `next` do. */
export type NextCallback = (error?: unknown) => void

/**
 * Connect-style middleware `(req, res, next)`: an Express 4/5 `RequestHandler`, and callable
 * from a plain node:http server.
 */
export type AuthMiddleware = (req: IncomingMessage, res: ServerResponse, next: NextCallback) => void

/**
 * Options of {@link createAuthMiddleware}: how to verify tokens (the {@link TokenVerifierOptions}:
 * exactly one of `secret`, `publicKey`, `jwks`, or a ready `verifier`), how to find them,
 * and how to look the user up.
 * @example
 * const options: AuthMiddlewareOptions = {
 *   secret: process.env.JWT_ACCESS_SECRET!,
 *   issuer: 'tekcify-auth',
 *   audience: 'tekcify-api',
 *   cookie: 'access_token',
 *   getUserInfo: async (userId) => {
 *     const user = await userRepository.findById(userId)
 *     return user ? { email: user.email } : null
 *   },
 * }
 */
export interface AuthMiddlewareOptions<Req extends IncomingMessage = AuthRequest> extends TokenVerifierOptions {
  /** A verifier built beforehand; replaces the key and claim options. */
  verifier?: TokenVerifier
  /**
   * Called with the token's `sub` after the token verified. Return the fields to add to the
   * user (merged over the token's; `userId` and `claims` stay), or `null`/`undefined` to answer
   * 401 `User not found`. A token without `sub` is refused without calling it. A throw or a
   * rejection goes to `next(error)`.
   */
  getUserInfo?: (userId: string) => Promise<object | null | undefined> | object | null | undefined
  /**
   * When false, a request without a token passes through with no user (a token that does
   * not verify is still a 401). Default true.
   */
  credentialsRequired?: boolean
  /**
   * Reads the token instead of `Authorization: Bearer` (and `cookie`). Return nothing for
   * "no token". A throw or a rejection goes to `next(error)`.
   */
  getToken?: (req: Req) => string | null | undefined | Promise<string | null | undefined>
  /**
   * Called with the verified payload and the token; return true to answer 401
   * `Token has been revoked`. A throw or a rejection goes to `next(error)`.
   */
  isRevoked?: (payload: JWTPayload, token: string) => boolean | Promise<boolean>
  /**
   * Also read the token from this cookie when there is no `Authorization: Bearer` header
   * (from `req.cookies` when cookie-parser ran, else from the `Cookie` header).
   */
  cookie?: string
  /** The request property the user is written to. Default `'user'`. */
  requestProperty?: string
  /**
   * Remember verified tokens: an LRU (default 1000 entries, `{ max }` to size it) keyed by the
   * whole token string. An entry never outlives the token's `exp` (or `iat + maxTokenAge`),
   * failures are never kept, and `isRevoked` and `getUserInfo` still run on every request.
   * Default `true` here, unlike `TokenVerifier`: a client sends the same access token with every
   * request until it expires. `false` verifies every request from scratch. Remembered claims
   * are shared and frozen, so `req.user.claims` is read-only.
   */
  cache?: boolean | { max?: number }
}

/**
 * Creates the middleware that authenticates requests with a bearer token.
 *
 * Reads `Authorization: Bearer <token>` (scheme in any case), or the `cookie` option's cookie,
 * or what `getToken` returns; verifies the token; puts a {@link UserPayload} on `req.user`
 * (`requestProperty`); calls `getUserInfo` and `isRevoked` when given. Failures are answered
 * here with 401, a JSON body `{ statusCode: 401, message, error: 'Unauthorized' }` whose message
 * tells a missing token (`Missing bearer token`) from an expired one (`Token has expired`) from
 * an invalid one (`Invalid token`), and `WWW-Authenticate: Bearer` (no token sent) or
 * `Bearer error="invalid_token", error_description="..."` (RFC 6750).
 *
 * Does not load Express: works with Express 4 and 5, Connect, and a plain node:http server.
 * Also exported by the package root (`import { createAuthMiddleware } from 'ferroauth'`).
 * @example
 * import express from 'express'
 * import { createAuthMiddleware } from 'ferroauth/express'
 *
 * const app = express()
 * const authMiddleware = createAuthMiddleware({
 *   secret: process.env.JWT_ACCESS_SECRET!,
 *   issuer: 'tekcify-auth',
 *   audience: 'tekcify-api',
 *   getUserInfo: async (userId: string) => {
 *     const user = await userRepository.findById(userId)
 *     return user ? { email: user.email } : null
 *   },
 * })
 *
 * app.use('/api', authMiddleware)
 * app.get('/api/profile', (req, res) => {
 *   res.json({ userId: req.user!.userId, email: req.user!.email, scopes: req.user!.scopes })
 * })
 */
export declare function createAuthMiddleware<Req extends IncomingMessage = AuthRequest>(
  options: AuthMiddlewareOptions<Req>,
): AuthMiddleware

/**
 * Middleware for after {@link createAuthMiddleware}: 403 unless the user it authenticated
 * (`req.user`, or the user under a custom `requestProperty`) holds every one of
 * `scopes` (from the token's `scope`/`scp` string or `scopes` array), with
 * `WWW-Authenticate: Bearer error="insufficient_scope", error_description="...", scope="..."`
 * and body `{ statusCode: 403, message: 'Insufficient scope: requires ...', error: 'Forbidden' }`.
 * Without an authenticated user (`credentialsRequired: false` and no token) it answers the
 * 401 of a missing token.
 * @example
 * app.post('/api/posts', authMiddleware, requireScopes('posts:write'), (req, res) => {
 *   res.status(201).json({ author: req.user!.userId })
 * })
 */
export declare function requireScopes(...scopes: string[]): AuthMiddleware

/**
 * Like {@link requireScopes}, for roles (the token's `roles` array or `role` string):
 * 403 with `error="insufficient_scope"` and message `Insufficient role: requires ...`.
 * @example
 * app.delete('/api/users/:id', authMiddleware, requireRoles('admin'), (req, res) => {
 *   res.status(204).end()
 * })
 */
export declare function requireRoles(...roles: string[]): AuthMiddleware

/**
 * Refresh-token cookies, set, read and cleared on an Express 4/5 `res` (or a node:http response):
 * `HttpOnly`, `SameSite=None; Secure` in production, `SameSite=Lax` otherwise,
 * `Path=/auth/refresh`. The same functions as the package root's; see {@link setRefreshCookie}
 * and {@link RefreshCookieOptions} for the rules and defaults.
 * @example
 * import { setRefreshCookie, readRefreshCookie } from 'ferroauth/express'
 *
 * app.post('/auth/refresh', async (req, res) => {
 *   const next = await refresh.rotate(readRefreshCookie(req), req)
 *   setRefreshCookie(res, next) // Max-Age from next.expiresAt
 *   res.json({ accessToken: signer.sign({ sub: next.userId }) })
 * })
 */
/**
 * `Idempotency-Key` middleware. Mount it after the body parser and after
 * {@link createAuthMiddleware}. The first request with a key runs and its response (status,
 * headers but `Set-Cookie`, body) is stored before it finishes; a retry with the same key,
 * method, URL and body gets it again with `Idempotent-Replayed: true`, and the handler does
 * not run. 5xx, 408, 425 and 429 answers are not stored: a retry runs again. Answers of its own,
 * as JSON `{ statusCode, message, error }`:
 * - 409 `Idempotency key already used with a different payload`
 * - 409 `A request with this idempotency key is still being processed`
 * - 400 for a missing (with `required`), empty, over-long or non-ASCII key
 * - 503 `Idempotency store is unavailable`
 * @example
 * app.use(express.json())
 * app.use(createAuthMiddleware({ secret: process.env.JWT_ACCESS_SECRET! }))
 * app.post('/orders', idempotency({ store: new RedisStore({ url }) }), (req, res) => {
 *   res.status(201).json(createOrder(req.user!.userId, req.body))
 * })
 */
export declare function idempotency(options?: IdempotencyOptions): AuthMiddleware

/**
 * Options of {@link rateLimit}: those of {@link RateLimiterOptions}, and how requests map to keys.
 * @example
 * const options: RateLimitOptions = { limit: 5, window: '15m', store, key: (req) => req.body.email }
 */
export interface RateLimitOptions<Req extends IncomingMessage = AuthRequest> extends RateLimiterOptions {
  /** The key a request counts under. Default: the client's address, `req.ip`. */
  key?: (req: Req) => string | Promise<string>
  /** Return true to let a request through uncounted. */
  skip?: (req: Req) => boolean
  /** Set `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds) on every response. Default true. */
  headers?: boolean
  /** Let requests through when the store fails, instead of answering 503. Default false. */
  failOpen?: boolean
}

/**
 * Middleware that allows `limit` requests per `window` for each key, as a sliding window
 * (see {@link RateLimiter}). Denied requests get 429
 * `{"statusCode":429,"message":"ThrottlerException: Too Many Requests"}` (what
 * @nestjs/throttler sends) with `Retry-After: <seconds>`; a failing store gets 503
 * `{"statusCode":503,"message":"Rate limit store is unavailable","error":"Service Unavailable"}`
 * unless `failOpen`. Errors from `key` (and an invalid key) go to `next(error)`.
 *
 * Middlewares with the same limit and window (and no `name`) count into one log per key, so
 * give per-route limits a `name` each.
 * @example
 * import express from 'express'
 * import { rateLimit } from 'ferroauth/express'
 *
 * app.use('/api', rateLimit({ limit: 100, window: '1m', store }))
 * app.post('/auth/login', express.json(), rateLimit({ limit: 5, window: '15m', name: 'login', key: (req) => String(req.body.email).toLowerCase() }), login)
 */
export declare function rateLimit<Req extends IncomingMessage = AuthRequest>(options: RateLimitOptions<Req>): AuthMiddleware

export { setRefreshCookie, clearRefreshCookie, readRefreshCookie } from './index.js'
export type { RefreshCookieOptions, RefreshCookieRequest, RefreshCookieResponse, RefreshCookieToken } from './index.js'
