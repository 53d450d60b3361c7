// Type-level tests for refresh tokens and stores, compiled with `tsc -p test-d` (strict):
// what a login/refresh/logout flow and a sessions page write, and misuse refused.

import type { IncomingMessage } from 'node:http'
import type { Request } from 'express'
import {
  ErrorCodes,
  FerroAuthError,
  MemoryStore,
  RedisStore,
  RefreshTokenManager,
  createRefreshToken,
  hashRefreshToken,
  type ErrorCode,
  type IssuedRefreshToken,
  type RedisStoreOptions,
  type RefreshTokenManagerOptions,
  type RotatedRefreshToken,
  type SessionContext,
  type SessionInfo,
  type Store,
} from 'ferroauth'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
declare function expectType<A>(): <B>(value: B, ...check: Equal<A, B> extends true ? [] : [never]) => void

// ---- stores ------------------------------------------------------------------------------

const memory = new MemoryStore()
expectType<number>()(memory.size)
expectType<Promise<void>>()(memory.ping())
const redisOptions: RedisStoreOptions = {
  url: 'redis://127.0.0.1:6379/0',
  keyPrefix: 'app:',
  connectTimeout: '500ms',
  commandTimeout: 2,
}
const redis = new RedisStore(redisOptions)
const cluster = new RedisStore({ cluster: ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000'] })
expectType<Promise<void>>()(cluster.ping())
const stores: Store[] = [memory, redis, new RedisStore()]
void stores

// ---- the manager ---------------------------------------------------------------------------

const options: RefreshTokenManagerOptions = { store: redis, ttl: '30d', idleTtl: '7d', reuseGrace: '10s', secret: Buffer.alloc(32) }
const refresh = new RefreshTokenManager(options)
expectType<number>()(refresh.ttl)
new RefreshTokenManager({ store: memory, secret: 'server-side-key', ttl: 3600 })
new RefreshTokenManager({ store: memory, secret: new Uint8Array(32) })

async function flow(req: Request, raw: IncomingMessage, userId: number) {
  const issued = await refresh.issue(userId, req)
  expectType<IssuedRefreshToken>()(issued)
  expectType<string>()(issued.token)
  expectType<string>()(issued.familyId)
  expectType<Date>()(issued.expiresAt)
  await refresh.issue('user-1', raw)
  await refresh.issue('user-1', { userAgent: 'curl/8', ip: '203.0.113.7' })
  await refresh.issue('user-1')

  const rotated = await refresh.rotate(issued.token, req)
  expectType<RotatedRefreshToken>()(rotated)
  expectType<string>()(rotated.userId)
  await refresh.rotate(req.header('x-refresh-token')) // string | undefined: missing is ERR_REFRESH_INVALID

  expectType<boolean>()(await refresh.revoke(rotated.token))
  expectType<boolean>()(await refresh.revokeFamily(rotated.familyId))
  expectType<number>()(await refresh.revokeAllForUser(userId))

  const sessions = await refresh.listSessions('user-1')
  expectType<SessionInfo[]>()(sessions)
  const [latest] = sessions
  if (latest) {
    expectType<Date>()(latest.lastUsedAt)
    expectType<Date>()(latest.idleExpiresAt)
    expectType<string | null>()(latest.userAgent)
    expectType<string | null>()(latest.ip)
  }
  expectType<string>()(refresh.hashToken(rotated.token))
}
void flow

// ---- errors --------------------------------------------------------------------------------

async function refreshOr401(token: string | undefined): Promise<number> {
  try {
    await refresh.rotate(token)
    return 200
  } catch (error) {
    if (error instanceof FerroAuthError) {
      expectType<ErrorCode>()(error.code)
      if (error.code === ErrorCodes.ERR_STORE_UNAVAILABLE) return 503
      if (error.code === 'ERR_REFRESH_REUSED' || error.code === 'ERR_REFRESH_EXPIRED') return 401
    }
    return 401
  }
}
void refreshOr401

// ---- your own database ---------------------------------------------------------------------

const standalone = createRefreshToken({ ttl: '30d', secret: 'key' })
expectType<{ token: string; hash: string; expiresAt: Date }>()(standalone)
expectType<string>()(hashRefreshToken(standalone.token, { secret: 'key' }))
expectType<string>()(hashRefreshToken(standalone.token))

// ---- misuse --------------------------------------------------------------------------------

// @ts-expect-error a store is required
new RefreshTokenManager({ ttl: '7d' })
// @ts-expect-error a store, not its options
new RefreshTokenManager({ store: { url: 'redis://127.0.0.1' } })
// @ts-expect-error ttl is seconds or a duration string
new RefreshTokenManager({ store: memory, ttl: true })
// @ts-expect-error cluster is a list of URLs
new RedisStore({ cluster: 'redis://10.0.0.1:7000' })
// @ts-expect-error user ids are strings or numbers
refresh.issue({ id: 1 })
// @ts-expect-error the context is { userAgent, ip } or a request
refresh.issue('u', { agent: 'curl' })
// @ts-expect-error revokeFamily takes a family id
refresh.revokeFamily(42)
// @ts-expect-error hashRefreshToken takes a string
hashRefreshToken(undefined)
// @ts-expect-error the memory store has no options
new MemoryStore({ max: 10 })
