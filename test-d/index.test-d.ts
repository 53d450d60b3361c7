// Type-level tests for the public JWT API, compiled with `tsc -p test-d` (strict).
// Written the way an application would use ferroauth; each `expectType` pins a type exactly.

import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import type { Request, Response, NextFunction } from 'express'
import {
  TokenSigner,
  TokenVerifier,
  FerroAuthError,
  ErrorCodes,
  signAccessToken,
  verifyAccessToken,
  toUserPayload,
  type Algorithm,
  type Duration,
  type ErrorCode,
  type JWK,
  type JWKS,
  type JWTPayload,
  type TokenSignerOptions,
  type TokenVerifierOptions,
  type UserPayload,
  type VerifyError,
  type VerifyErrorCode,
  type VerifyResult,
} from 'ferroauth'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
declare function expectType<A>(): <B>(value: B, ...check: Equal<A, B> extends true ? [] : [never]) => void
declare const token: string

// ---- signing ---------------------------------------------------------------------------

const signerOptions: TokenSignerOptions = {
  secret: process.env.JWT_SECRET ?? 'dev-secret-dev-secret-dev-secret',
  issuer: 'https://auth.example.com',
  audience: ['api', 'web'],
  expiresIn: '15m',
  notBefore: 0,
  kid: '2024-01',
}
const signer = new TokenSigner(signerOptions)
expectType<string>()(signer.sign({ sub: 'user-1', email: 'ada@example.com', roles: ['admin'] }))
expectType<Algorithm>()(signer.algorithm)

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const privatePem: string = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
const privateJwk: JWK = { kty: 'EC', crv: 'P-256', x: '...', y: '...', d: '...', kid: 'ec-1' }
new TokenSigner({ privateKey: privatePem, algorithm: 'ES256' })
new TokenSigner({ privateKey: Buffer.from(privatePem) })
new TokenSigner({ privateKey: privateJwk })
new TokenSigner({ privateKey: privateKey as KeyObject, expiresIn: 900 })
new TokenSigner({ secret: Buffer.alloc(32), algorithm: 'HS512', expiresIn: '7d' })

const algorithms: Algorithm[] = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']
const durations: Duration[] = [60, '60', '30s', '15m', '12h', '7d']
void algorithms
void durations

// ---- verifying -------------------------------------------------------------------------

const verifierOptions: TokenVerifierOptions = {
  publicKey: createPublicKey(privateKey),
  algorithms: ['ES256'],
  issuer: ['https://auth.example.com', 'https://legacy.example.com'],
  audience: 'api',
  clockTolerance: '5s',
  maxTokenAge: '1h',
  requiredClaims: ['sub', 'email'],
  requireExpiration: true,
  maxTokenLength: 8192,
  cache: { max: 500 },
}
const verifier = new TokenVerifier(verifierOptions)
const jwks: JWKS = { keys: [{ kty: 'RSA', n: '...', e: 'AQAB', kid: 'rsa-1', alg: 'RS256', use: 'sig' }, publicKey.export({ format: 'jwk' }) as JWK] }
new TokenVerifier({ jwks, cache: true })
new TokenVerifier({ secret: 'shared-secret-shared-secret-shared', clockTolerance: 30 })
new TokenVerifier({ publicKey: '-----BEGIN PUBLIC KEY-----\n...' })

const result = verifier.verify(token)
expectType<VerifyResult<JWTPayload>>()(result)
if (result.valid) {
  expectType<JWTPayload>()(result.payload)
  expectType<string | undefined>()(result.payload.sub)
  expectType<number | undefined>()(result.payload.exp)
  expectType<string | string[] | undefined>()(result.payload.aud)
  expectType<unknown>()(result.payload.anything)
} else {
  expectType<VerifyError>()(result.error)
  expectType<VerifyErrorCode>()(result.error.code)
  expectType<string>()(result.error.message)
  expectType<string | undefined>()(result.error.claim)
}

/** Exhaustive over every verify error code: adding a code without handling it is a compile error. */
function statusFor(error: VerifyError): 400 | 401 {
  switch (error.code) {
    case 'ERR_JWT_MALFORMED':
    case 'ERR_JWT_TOO_LARGE':
      return 400
    case 'ERR_JWT_ALG_NOT_ALLOWED':
    case 'ERR_JWT_TYPE_INVALID':
    case 'ERR_JWT_CRIT_UNSUPPORTED':
    case 'ERR_JWT_KEY_NOT_FOUND':
    case 'ERR_JWT_SIGNATURE_INVALID':
    case 'ERR_JWT_EXPIRED':
    case 'ERR_JWT_NOT_YET_VALID':
    case 'ERR_JWT_CLAIM_INVALID':
    case 'ERR_JWT_CLAIM_MISSING':
      return 401
    default: {
      const unreachable: never = error.code
      return unreachable
    }
  }
}
void statusFor

// The verify error codes are a subset of all codes.
const asErrorCode: ErrorCode = ({} as VerifyErrorCode)
void asErrorCode

// A typed payload.
interface AppClaims extends JWTPayload {
  sub: string
  tenant: string
  roles: string[]
}
const typed = verifier.verify<AppClaims>(token)
if (typed.valid) {
  expectType<string>()(typed.payload.tenant)
  expectType<string[]>()(typed.payload.roles)
}

// Unknown input is accepted: verify never throws for any value.
verifier.verify(undefined)
verifier.verify(Buffer.from(token))

// ---- one-call forms and users ---------------------------------------------------------

const jwtOptions = { secret: 'shared-secret-shared-secret-shared', expiresIn: '15m' } satisfies TokenSignerOptions
expectType<string>()(signAccessToken({ sub: 'u' }, jwtOptions))
const oneCall = verifyAccessToken<AppClaims>(signAccessToken({ sub: 'u', tenant: 't', roles: [] }, jwtOptions), { secret: jwtOptions.secret })
expectType<VerifyResult<AppClaims>>()(oneCall)

if (oneCall.valid) {
  const user = toUserPayload(oneCall.payload)
  expectType<UserPayload>()(user)
  expectType<string | undefined>()(user.userId)
  expectType<string | undefined>()(user.email)
  expectType<string[]>()(user.scopes)
  expectType<string[]>()(user.roles)
  expectType<JWTPayload>()(user.claims)
}

// ---- errors ----------------------------------------------------------------------------

try {
  new TokenVerifier({ publicKey: 'not a key' })
} catch (error) {
  if (error instanceof FerroAuthError) {
    expectType<ErrorCode>()(error.code)
    expectType<'FerroAuthError'>()(error.name)
    expectType<string>()(error.message)
    if (error.code === ErrorCodes.ERR_JWT_KEY_TOO_WEAK) console.error('use a 2048-bit key')
  } else if (error instanceof TypeError) {
    console.error(error.message)
  }
}
expectType<'ERR_JWT_EXPIRED'>()(ErrorCodes.ERR_JWT_EXPIRED)
expectType<'ERR_INVALID_OPTION'>()(ErrorCodes.ERR_INVALID_OPTION)

// ---- in an Express app (user code, not the adapter) ----------------------------------------

declare module 'express-serve-static-core' {
  interface Request {
    user?: UserPayload
  }
}

const appVerifier = new TokenVerifier({ secret: 'shared-secret-shared-secret-shared', audience: 'api' })
export function requireUser(req: Request, res: Response, next: NextFunction): void {
  const header = req.headers.authorization
  const result = appVerifier.verify(header?.startsWith('Bearer ') ? header.slice(7) : undefined)
  if (!result.valid) {
    res.status(statusFor(result.error)).json({ statusCode: 401, message: result.error.message, error: 'Unauthorized', code: result.error.code })
    return
  }
  req.user = toUserPayload(result.payload)
  next()
}
