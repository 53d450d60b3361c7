// Type-level tests for the refresh-token cookie helpers, compiled with `tsc -p test-d` (strict):
// the same functions and types from `ferroauth`, `ferroauth/express` and `ferroauth/nestjs`,
// used with Express, NestJS-style handlers and node:http; misuse refused.

import { createServer, type ServerResponse } from 'node:http'
import express, { type Request, type Response } from 'express'
import {
  MemoryStore,
  RefreshTokenManager,
  createRefreshToken,
  setRefreshCookie,
  clearRefreshCookie,
  readRefreshCookie,
  type Duration,
  type IssuedRefreshToken,
  type RefreshCookieOptions,
  type RefreshCookieRequest,
  type RefreshCookieResponse,
  type RefreshCookieToken,
  type RotatedRefreshToken,
} from 'ferroauth'
import * as fromExpress from 'ferroauth/express'
import * as fromNest from 'ferroauth/nestjs'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
declare function expectType<A>(): <B>(value: B, ...check: Equal<A, B> extends true ? [] : [never]) => void

// ---- one function, three entry points --------------------------------------------------

expectType<typeof setRefreshCookie>()(fromExpress.setRefreshCookie)
expectType<typeof clearRefreshCookie>()(fromExpress.clearRefreshCookie)
expectType<typeof setRefreshCookie>()(fromNest.setRefreshCookie)
expectType<typeof clearRefreshCookie>()(fromNest.clearRefreshCookie)
expectType<typeof readRefreshCookie>()(fromExpress.readRefreshCookie)
expectType<typeof readRefreshCookie>()(fromNest.readRefreshCookie)
expectType<RefreshCookieRequest>()({} as fromExpress.RefreshCookieRequest)
expectType<RefreshCookieOptions>()({} as fromExpress.RefreshCookieOptions)
expectType<RefreshCookieOptions>()({} as fromNest.RefreshCookieOptions)
expectType<RefreshCookieToken>()('' as fromNest.RefreshCookieToken)

// ---- the options -------------------------------------------------------------------------

const cookieOptions: RefreshCookieOptions = {
  name: 'rt',
  path: '/auth',
  domain: process.env.COOKIE_DOMAIN || undefined,
  secure: process.env.NODE_ENV === 'production',
  sameSite: 'lax',
  maxAge: '7d',
}
expectType<string | undefined>()(cookieOptions.name)
expectType<'lax' | 'strict' | 'none' | 'Lax' | 'Strict' | 'None' | undefined>()(cookieOptions.sameSite)
expectType<Duration | undefined>()(cookieOptions.maxAge)
expectType<Date | undefined>()(cookieOptions.expires)
const withExpires: RefreshCookieOptions = { expires: new Date(Date.now() + 3_600_000), sameSite: 'None', secure: true }

// ---- Express -----------------------------------------------------------------------------

const refresh = new RefreshTokenManager({ store: new MemoryStore(), ttl: '7d' })
const app = express()

app.post('/auth/login', async (req: Request, res: Response) => {
  const issued = await refresh.issue('user-1', req)
  expectType<void>()(setRefreshCookie(res, issued)) // IssuedRefreshToken is a RefreshCookieToken
  setRefreshCookie(res, issued.token, { maxAge: refresh.ttl })
  setRefreshCookie(res, issued.token, withExpires)
  res.json({ ok: true })
})

app.post('/auth/refresh', async (req, res) => {
  const rotated: RotatedRefreshToken = await refresh.rotate(req.header('x-refresh-token'), req)
  fromExpress.setRefreshCookie(res, rotated, cookieOptions)
  res.json({ userId: rotated.userId })
})

app.post('/auth/refresh-from-cookie', async (req, res) => {
  const presented = readRefreshCookie(req, cookieOptions)
  expectType<string | undefined>()(presented)
  fromExpress.setRefreshCookie(res, await refresh.rotate(presented, req), cookieOptions)
  res.json({})
})

app.post('/auth/logout', async (req, res) => {
  const presented = fromExpress.readRefreshCookie(req, cookieOptions)
  if (presented !== undefined) expectType<boolean>()(await refresh.revoke(presented))
  expectType<void>()(fromExpress.clearRefreshCookie(res, cookieOptions))
  fromExpress.clearRefreshCookie(res)
  res.status(204).end()
})

// ---- a NestJS handler (the Express response that `@Res({ passthrough: true })` gives) ------

class AuthController {
  async login(res: Response): Promise<{ accessToken: string }> {
    const issued: IssuedRefreshToken = await refresh.issue(42)
    fromNest.setRefreshCookie(res, issued, { path: '/auth' })
    return { accessToken: 'at' }
  }

  logout(res: Response): { ok: true } {
    fromNest.clearRefreshCookie(res, { path: '/auth' })
    return { ok: true }
  }
}
void AuthController

// ---- node:http ---------------------------------------------------------------------------

createServer((req, res: ServerResponse) => {
  expectType<string | undefined>()(readRefreshCookie(req))
  const standalone = createRefreshToken({ ttl: '30d' })
  setRefreshCookie(res, standalone) // { token, hash, expiresAt } carries what the cookie needs
  setRefreshCookie(res, { token: standalone.token, expiresAt: standalone.expiresAt.getTime() })
  clearRefreshCookie(res, { name: '__Host-rt', path: '/', secure: true })
  res.end()
})

const minimal: RefreshCookieResponse = { getHeader: () => undefined, setHeader: (() => minimal) as any }
setRefreshCookie(minimal, 'frt_token')

// ---- misuse ------------------------------------------------------------------------------

declare const res: Response
// @ts-expect-error the token is a string or { token, expiresAt }
setRefreshCookie(res, 42)
// @ts-expect-error an object token needs its expiresAt
setRefreshCookie(res, { token: 'frt_token' })
// @ts-expect-error expiresAt is a Date or milliseconds
setRefreshCookie(res, { token: 'frt_token', expiresAt: '2030-01-01' })
// @ts-expect-error the response comes first
setRefreshCookie('frt_token', res)
// @ts-expect-error not a response
setRefreshCookie({}, 'frt_token')
// @ts-expect-error SameSite is lax, strict or none
setRefreshCookie(res, 'frt_token', { sameSite: 'always' })
// @ts-expect-error secure is a boolean
setRefreshCookie(res, 'frt_token', { secure: 'yes' })
// @ts-expect-error maxAge is seconds or a duration string
setRefreshCookie(res, 'frt_token', { maxAge: true })
// @ts-expect-error expires is a Date
setRefreshCookie(res, 'frt_token', { expires: Date.now() })
// @ts-expect-error refresh cookies are always HttpOnly: there is no such option
setRefreshCookie(res, 'frt_token', { httpOnly: false })
// @ts-expect-error readRefreshCookie reads a request, not a response's headers
readRefreshCookie({ cookie: 'rt=x' })
// @ts-expect-error readRefreshCookie's options are an object
readRefreshCookie({ headers: {} }, 'rt')
// @ts-expect-error clearRefreshCookie takes no token
clearRefreshCookie(res, 'frt_token')
