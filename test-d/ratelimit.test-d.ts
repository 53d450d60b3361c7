// Type-level tests for rate limiting, compiled with `tsc -p test-d` (strict): RateLimiter,
// Express's rateLimit() and NestJS's @RateLimit() as apps use them, and misuse refused.

import express, { type Request } from 'express'
import type { IncomingMessage } from 'node:http'
import {
  ErrorCodes,
  FerroAuthError,
  MemoryStore,
  RateLimiter,
  RedisStore,
  type ErrorCode,
  type RateLimitResult,
  type RateLimiterOptions,
} from 'ferroauth'
import { rateLimit, type AuthMiddleware, type RateLimitOptions as ExpressRateLimitOptions } from 'ferroauth/express'
import {
  FerroAuthModule,
  RATE_LIMIT_KEY,
  RateLimit,
  RateLimitGuard,
  SKIP_RATE_LIMIT_KEY,
  SkipRateLimit,
  type FerroAuthModuleOptions,
  type RateLimitOptions as NestRateLimitOptions,
} from 'ferroauth/nestjs'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
declare function expectType<A>(): <B>(value: B, ...check: Equal<A, B> extends true ? [] : [never]) => void

// ---- RateLimiter ---------------------------------------------------------------------------

const options: RateLimiterOptions = { store: new RedisStore({ url: 'redis://127.0.0.1:6379' }), limit: 5, window: '15m', name: 'login' }
const limiter = new RateLimiter(options)
new RateLimiter({ limit: 100, window: 60 }) // the default store
new RateLimiter({ store: new MemoryStore(), limit: 1, window: '500ms' })
expectType<number>()(limiter.limit)
expectType<number>()(limiter.window)

async function login(email: string) {
  const result = await limiter.consume(email.toLowerCase())
  expectType<RateLimitResult>()(result)
  expectType<boolean>()(result.allowed)
  expectType<number>()(result.limit)
  expectType<number>()(result.remaining)
  expectType<number>()(result.retryAfter)
  expectType<Date>()(result.resetAt)
  expectType<Promise<void>>()(limiter.reset(email))
  try {
    await limiter.consume('')
  } catch (error) {
    if (error instanceof FerroAuthError && error.code === ErrorCodes.ERR_RATE_LIMIT_KEY_INVALID) {
      const code: ErrorCode = error.code
      void code
    }
  }
}
void login

// @ts-expect-error limit and window are required
new RateLimiter({ store: new MemoryStore() })
// @ts-expect-error the limit is a number
new RateLimiter({ limit: '5', window: 60 })
// @ts-expect-error a store, not its options
new RateLimiter({ store: { url: 'redis://x' }, limit: 5, window: 60 })
// @ts-expect-error keys are strings
void limiter.consume(42)
// @ts-expect-error the result has no `count`
void limiter.consume('k').then((r) => r.count)

// ---- Express ---------------------------------------------------------------------------------

const app = express()
const perIp: AuthMiddleware = rateLimit({ limit: 100, window: '1m' })
app.use('/api', perIp)
app.post(
  '/auth/login',
  express.json(),
  rateLimit<Request>({
    limit: 5,
    window: '15m',
    name: 'login',
    store: new MemoryStore(),
    key: (req) => String(req.body.email).toLowerCase(),
    skip: (req) => req.get('x-internal') === 'yes',
    headers: true,
    failOpen: false,
  }),
)
const asyncKey: ExpressRateLimitOptions<IncomingMessage> = { limit: 1, window: 1, key: async (req) => req.socket.remoteAddress ?? 'unknown' }
rateLimit(asyncKey)
// @ts-expect-error key returns a string
rateLimit({ limit: 1, window: 1, key: () => 42 })
// @ts-expect-error headers is a boolean
rateLimit({ limit: 1, window: 1, headers: 'yes' })
// @ts-expect-error limit is required
rateLimit({ window: 1 })

// ---- NestJS ----------------------------------------------------------------------------------

const byEmail: NestRateLimitOptions = { name: 'login', key: (req) => String(req.body?.email), failOpen: false, headers: true }
const onHandler: MethodDecorator = RateLimit(5, '15m', byEmail)
const onClass: ClassDecorator = RateLimit(100, 60)
void onHandler
void onClass
const skip = SkipRateLimit()
SkipRateLimit(false)
void skip
expectType<'ferroauth:rateLimit'>()(RATE_LIMIT_KEY)
expectType<'ferroauth:skipRateLimit'>()(SKIP_RATE_LIMIT_KEY)
new RateLimitGuard({ store: new MemoryStore() })
const moduleOptions: FerroAuthModuleOptions = { secret: 'x'.repeat(32), store: new RedisStore({ url: 'redis://127.0.0.1:6379' }) }
FerroAuthModule.forRoot(moduleOptions)
// @ts-expect-error the window is seconds or a duration string
RateLimit(5, { minutes: 1 })
// @ts-expect-error options are an object
RateLimit(5, 60, 'login')
// @ts-expect-error the module's store is a store
FerroAuthModule.forRoot({ secret: 'x'.repeat(32), store: 'redis://127.0.0.1' })
