/// <reference types="node" />
import type { KeyObject } from 'node:crypto'

/**
 * A duration: seconds as a number, or a string such as `'30s'`, `'15m'`, `'12h'`, `'7d'`.
 * @example
 * const options = { expiresIn: '15m', clockTolerance: 5 }
 */
export type Duration = number | `${number}` | `${number}${string}`

/** The JWS algorithms ferroauth signs and verifies. `none` is not one of them, on purpose. */
export type Algorithm =
  | 'HS256' | 'HS384' | 'HS512'
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'EdDSA'

/** A JSON Web Key (RFC 7517) as a plain object. */
export interface JWK {
  kty: 'oct' | 'RSA' | 'EC' | 'OKP' | (string & {})
  kid?: string
  alg?: string
  use?: string
  crv?: string
  k?: string
  n?: string
  e?: string
  x?: string
  y?: string
  d?: string
  p?: string
  q?: string
  dp?: string
  dq?: string
  qi?: string
  [member: string]: unknown
}

/** A JSON Web Key Set: `{ keys: [...] }`. */
export interface JWKS {
  keys: JWK[]
}

/** Every stable error code ferroauth reports. */
export type ErrorCode =
  | 'ERR_JWT_MALFORMED'
  | 'ERR_JWT_TOO_LARGE'
  | 'ERR_JWT_ALG_NOT_ALLOWED'
  | 'ERR_JWT_TYPE_INVALID'
  | 'ERR_JWT_CRIT_UNSUPPORTED'
  | 'ERR_JWT_KEY_NOT_FOUND'
  | 'ERR_JWT_SIGNATURE_INVALID'
  | 'ERR_JWT_EXPIRED'
  | 'ERR_JWT_NOT_YET_VALID'
  | 'ERR_JWT_CLAIM_INVALID'
  | 'ERR_JWT_CLAIM_MISSING'
  | 'ERR_JWT_CLAIMS_INVALID'
  | 'ERR_JWT_KEY_INVALID'
  | 'ERR_JWT_KEY_TOO_WEAK'
  | 'ERR_JWT_ALG_UNSUPPORTED'
  | 'ERR_INVALID_OPTION'

/** The codes as a frozen object, for comparisons without string literals. */
export declare const ErrorCodes: Readonly<{ [C in ErrorCode]: C }>

/**
 * The error ferroauth throws on purpose. Misuse (an option of the wrong type) is a
 * plain `TypeError` with `code: 'ERR_INVALID_ARG_TYPE'` instead.
 * @example
 * try {
 *   new TokenVerifier({ publicKey: weakRsaPem })
 * } catch (error) {
 *   if (error instanceof FerroAuthError && error.code === 'ERR_JWT_KEY_TOO_WEAK') { ... }
 * }
 */
export declare class FerroAuthError extends Error {
  readonly name: 'FerroAuthError'
  readonly code: ErrorCode
}

/** The codes a token can be refused with. */
export type VerifyErrorCode =
  | 'ERR_JWT_MALFORMED'
  | 'ERR_JWT_TOO_LARGE'
  | 'ERR_JWT_ALG_NOT_ALLOWED'
  | 'ERR_JWT_TYPE_INVALID'
  | 'ERR_JWT_CRIT_UNSUPPORTED'
  | 'ERR_JWT_KEY_NOT_FOUND'
  | 'ERR_JWT_SIGNATURE_INVALID'
  | 'ERR_JWT_EXPIRED'
  | 'ERR_JWT_NOT_YET_VALID'
  | 'ERR_JWT_CLAIM_INVALID'
  | 'ERR_JWT_CLAIM_MISSING'

/** Why a token was refused. */
export interface VerifyError {
  code: VerifyErrorCode
  message: string
  /** The claim a claim failure is about (`'exp'`, `'aud'`, ...). */
  claim?: string
}

/** Registered claims (RFC 7519 §4.1) plus whatever the issuer added. */
export interface JWTPayload {
  iss?: string
  sub?: string
  aud?: string | string[]
  exp?: number
  nbf?: number
  iat?: number
  jti?: string
  [claim: string]: unknown
}

/** What `verify` returns: narrow on `valid`. */
export type VerifyResult<P extends JWTPayload = JWTPayload> =
  | { valid: true; payload: P }
  | { valid: false; error: VerifyError }

/** A PEM string or Buffer, a JWK object, or a Node.js `KeyObject`. */
export type KeyInput = string | Buffer | Uint8Array | JWK | KeyObject

export interface TokenSignerOptions {
  /** Defaults to HS256 for a secret, and to what the key implies otherwise (RS256, ES256/384/512, EdDSA, or a JWK's `alg`). */
  algorithm?: Algorithm
  /** HMAC secret; at least as many bytes as the hash output is recommended (32 for HS256). */
  secret?: string | Buffer | Uint8Array | KeyObject
  /** PEM (PKCS#8, PKCS#1 or SEC1), a private JWK, or a private `KeyObject`. */
  privateKey?: KeyInput
  /** Written to the header as `kid`; a JWK's own `kid` is used when not set. */
  kid?: string
  /** Written as `iss`. */
  issuer?: string
  /** Written as `aud`. */
  audience?: string | string[]
  /** Lifetime written as `exp = iat + expiresIn`. Default `'15m'`. */
  expiresIn?: Duration
  /** Written as `nbf = iat + notBefore`. */
  notBefore?: Duration
}

/**
 * Signs access tokens (header `typ: "at+jwt"`, with `iat`, `exp` and a random `jti`).
 * Keys and options are parsed once, in the constructor.
 * @example
 * const signer = new TokenSigner({ secret: process.env.JWT_SECRET, issuer: 'https://api.example.com', expiresIn: '15m' })
 * const token = signer.sign({ sub: user.id, email: user.email, roles: ['admin'] })
 */
export declare class TokenSigner {
  constructor(options: TokenSignerOptions)
  /** The algorithm this signer uses. */
  readonly algorithm: Algorithm
  /**
   * Signs `claims`. Registered claims given here (`exp`, `iat`, `nbf`, `jti`, `iss`, `aud`)
   * win over the configured ones. Throws `ERR_JWT_CLAIMS_INVALID` for anything but a plain object.
   */
  sign(claims: object): string
}

export interface TokenVerifierOptions {
  /** HMAC secret. Exactly one of `secret`, `publicKey` and `jwks`. */
  secret?: string | Buffer | Uint8Array | KeyObject
  /** PEM (SPKI or PKCS#1), a public JWK, or a public `KeyObject`. */
  publicKey?: KeyInput
  /** A JWK Set; the token's `kid` selects the key. */
  jwks?: JWKS
  /** Allow-list of algorithms; by default, whatever the key(s) support. */
  algorithms?: Algorithm[]
  /** Required `iss` (one of). */
  issuer?: string | string[]
  /** Required `aud` (at least one in common). */
  audience?: string | string[]
  /** Leeway for `exp`, `nbf` and `iat`. Default 0. */
  clockTolerance?: Duration
  /** Refuse tokens whose `iat` is older than this (requires `iat`). */
  maxTokenAge?: Duration
  /** Claims that must be present. */
  requiredClaims?: string[]
  /** Refuse tokens without `exp`. Default true. */
  requireExpiration?: boolean
  /** Tokens longer than this many characters are refused before parsing. Default 16384. */
  maxTokenLength?: number
  /**
   * Cache verified tokens (LRU, default 1000 entries). An entry never outlives the token's
   * `exp` (or `iat + maxTokenAge`); failures are never cached; cached payloads are frozen.
   */
  cache?: boolean | { max?: number }
}

/**
 * Verifies access tokens. The algorithm comes from the key(s) and `algorithms`, never from
 * the token alone; `alg: none`, embedded keys (`jwk`, `jku`, `x5u`) and unknown `crit` are refused.
 * @example
 * const verifier = new TokenVerifier({ secret: process.env.JWT_SECRET, issuer: 'https://api.example.com' })
 * const result = verifier.verify(token)
 * if (result.valid) console.log(result.payload.sub)
 * else console.log(result.error.code) // e.g. 'ERR_JWT_EXPIRED'
 */
export declare class TokenVerifier {
  constructor(options: TokenVerifierOptions)
  /** Never throws: any value that is not a valid token gives `{ valid: false, error }`. */
  verify<P extends JWTPayload = JWTPayload>(token: unknown): VerifyResult<P>
}

/**
 * One-call signing. The signer is built on first use and cached per options object,
 * so pass the same object each time.
 * @example
 * const jwtOptions = { secret: process.env.JWT_SECRET, expiresIn: '15m' }
 * const token = signAccessToken({ sub: user.id }, jwtOptions)
 */
export declare function signAccessToken(claims: object, options: TokenSignerOptions): string

/**
 * One-call verification, cached per options object like {@link signAccessToken}.
 * @example
 * const result = verifyAccessToken(token, { secret: process.env.JWT_SECRET })
 */
export declare function verifyAccessToken<P extends JWTPayload = JWTPayload>(
  token: unknown,
  options: TokenVerifierOptions,
): VerifyResult<P>

/** The user shape the framework adapters put on requests. */
export interface UserPayload {
  /** From `sub`. */
  userId: string | undefined
  email?: string
  /** From a space-separated `scope` (or `scp`) string, or a `scopes` array. */
  scopes: string[]
  /** From a `roles` array or a `role` string. */
  roles: string[]
  /** The whole verified payload. */
  claims: JWTPayload
}

/**
 * Maps a verified payload to a {@link UserPayload}.
 * @example
 * const result = verifier.verify(token)
 * if (result.valid) {
 *   const user = toUserPayload(result.payload) // { userId, email, scopes, roles, claims }
 * }
 */
export declare function toUserPayload(payload: JWTPayload): UserPayload

/**
 * Express (4 or 5) middleware that authenticates requests with a bearer token; the same
 * function `ferroauth/express` exports, where its options and `req.user` typing are described.
 * @example
 * import { createAuthMiddleware } from 'ferroauth'
 * app.use('/api', createAuthMiddleware({ secret: process.env.JWT_ACCESS_SECRET!, issuer: 'tekcify-auth' }))
 */
export { createAuthMiddleware } from './express.js'
export type { AuthMiddleware, AuthMiddlewareOptions, AuthRequest } from './express.js'
