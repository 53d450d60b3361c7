// Type-level tests for `ferroauth/express`, compiled on their own with `tsc -p test-d/express`
// (strict; run by __test__/express.test.js) so that nothing but this import types req.user.
// The reference README's Express snippets with the import path changed, then the rest of the
// API; `import 'ferroauth/express'` must type `req.user` on Express's Request.

import express from 'express'
import type { Request, Response, NextFunction, RequestHandler } from 'express'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import {
  createAuthMiddleware,
  requireScopes,
  requireRoles,
  type AuthMiddleware,
  type AuthMiddlewareOptions,
  type JWTPayload,
  type UserPayload,
} from 'ferroauth/express'
import { createAuthMiddleware as createAuthMiddlewareFromRoot, TokenVerifier } from 'ferroauth'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
declare function expectType<A>(): <B>(value: B, ...check: Equal<A, B> extends true ? [] : [never]) => void
declare const userRepository: { findById(id: string): Promise<{ email: string } | null> }

// The app's own fields on the user, by declaration merging (what getUserInfo adds).
declare global {
  namespace Express {
    interface User {
      displayName?: string
    }
  }
}

// ---- reference README, Express Step 2 ------------------------------------------------------

const app = express()

const authMiddleware = createAuthMiddleware({
  secret: process.env.JWT_ACCESS_SECRET!,
  issuer: 'tekcify-auth',
  audience: 'tekcify-api',
  getUserInfo: async (userId: string) => {
    // Optional: Fetch user info from your database
    const user = await userRepository.findById(userId)
    return user ? { email: user.email } : null
  },
})

app.use(express.json())

// Apply middleware to all /api routes
app.use('/api', authMiddleware)

app.get('/api/profile', (req, res) => {
  // req.user is now available
  res.json({
    userId: req.user!.userId,
    email: req.user!.email,
    scopes: req.user!.scopes,
  })
})

// ---- Step 3: route-level middleware --------------------------------------------------------

app.get('/api/public', (req, res) => {
  res.json({ message: 'Public endpoint' })
})

app.get('/api/protected', authMiddleware, (req, res) => {
  res.json({
    message: 'Protected endpoint',
    user: req.user!.userId,
  })
})

// ---- Step 4: TypeScript support ------------------------------------------------------------

app.get('/api/user', authMiddleware, (req: Request, res: Response) => {
  // TypeScript knows req.user exists
  const userId = req.user!.userId
  const email = req.user!.email
  res.json({ userId, email })
})

// ---- req.user is a UserPayload (plus the app's merged fields) ------------------------------

app.get('/api/types', authMiddleware, (req, res) => {
  const user = req.user
  expectType<Express.User | undefined>()(user)
  if (user) {
    expectType<string | undefined>()(user.userId)
    expectType<string | undefined>()(user.email)
    expectType<string[]>()(user.scopes)
    expectType<string[]>()(user.roles)
    expectType<JWTPayload>()(user.claims)
    expectType<string | undefined>()(user.displayName)
    const payload: UserPayload = user
    void payload
  }
  // @ts-expect-error: not a field of the user
  req.user?.password
  res.end()
})

// ---- the rest of the API -------------------------------------------------------------------

expectType<AuthMiddleware>()(authMiddleware)
const asHandler: RequestHandler = authMiddleware
void asHandler

const fromRoot = createAuthMiddlewareFromRoot({ secret: 'shared-secret-shared-secret-shared' })
expectType<AuthMiddleware>()(fromRoot)

const options: AuthMiddlewareOptions = {
  publicKey: '-----BEGIN PUBLIC KEY-----\n...',
  algorithms: ['RS256'],
  issuer: ['https://auth.example.com'],
  audience: 'api',
  clockTolerance: '5s',
  credentialsRequired: false,
  cookie: 'access_token',
  requestProperty: 'auth',
  isRevoked: async (payload, token) => {
    expectType<JWTPayload>()(payload)
    expectType<string>()(token)
    return payload.jti === 'revoked'
  },
  getUserInfo: (userId) => {
    expectType<string>()(userId)
    return { email: `${userId}@example.com` }
  },
}
createAuthMiddleware(options)
createAuthMiddleware({ verifier: new TokenVerifier({ secret: 'shared-secret-shared-secret-shared' }) })
createAuthMiddleware({ jwks: { keys: [{ kty: 'RSA', kid: 'k1', n: 'AQAB', e: 'AQAB' }] } })

// getToken: any request property by default, or the request type the app names.
createAuthMiddleware({
  secret: 'shared-secret-shared-secret-shared',
  getToken: (req) => (typeof req.query?.token === 'string' ? req.query.token : undefined),
})
createAuthMiddleware({
  secret: 'shared-secret-shared-secret-shared',
  getToken: (req: Request) => req.get('x-access-token'),
})
createAuthMiddleware({
  secret: 'shared-secret-shared-secret-shared',
  getToken: async (req) => req.headers['x-access-token'] as string | undefined,
})

app.post('/api/posts', authMiddleware, requireScopes('posts:write'), (req, res) => {
  res.status(201).json({ author: req.user!.userId })
})
app.delete('/api/users/:id', authMiddleware, requireRoles('admin', 'owner'), (req, res) => {
  expectType<string>()(req.params.id)
  res.status(204).end()
})
app.use('/admin', authMiddleware, requireRoles('admin'))
const router = express.Router()
router.use(authMiddleware, requireScopes('read'))
expectType<AuthMiddleware>()(requireScopes('a', 'b'))
expectType<AuthMiddleware>()(requireRoles())

// An Express error handler sees what getUserInfo / isRevoked threw.
app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
  res.status(500).json({ message: error instanceof Error ? error.message : 'error' })
})

// A plain node:http server.
createServer((req: IncomingMessage, res: ServerResponse) => {
  authMiddleware(req, res, (error) => {
    if (error) {
      res.statusCode = 500
      res.end()
      return
    }
    res.end('ok')
  })
})

// ---- misuse --------------------------------------------------------------------------------

// @ts-expect-error: options are required
createAuthMiddleware()
// @ts-expect-error: credentialsRequired is a boolean
createAuthMiddleware({ secret: 'x', credentialsRequired: 'no' })
// @ts-expect-error: getUserInfo takes the user id, a string
createAuthMiddleware({ secret: 'x', getUserInfo: (userId: number) => null })
// @ts-expect-error: isRevoked returns a boolean
createAuthMiddleware({ secret: 'x', isRevoked: () => 'yes' })
// @ts-expect-error: getToken returns the token string
createAuthMiddleware({ secret: 'x', getToken: () => 42 })
// @ts-expect-error: cookie is a cookie name
createAuthMiddleware({ secret: 'x', cookie: true })
// @ts-expect-error: scopes are strings
requireScopes(['a', 'b'])
// @ts-expect-error: roles are strings
requireRoles(1)
