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
  | 'ERR_PASSWORD_EMPTY'
  | 'ERR_PASSWORD_TOO_LARGE'
  | 'ERR_PASSWORD_BCRYPT_TOO_LONG'
  | 'ERR_PASSWORD_HASH_INVALID'
  | 'ERR_PASSWORD_HASH_UNSUPPORTED'
  | 'ERR_PASSWORD_HASH_TOO_COSTLY'
  | 'ERR_ABORTED'
  | 'ERR_PASSWORD_TOO_SHORT'
  | 'ERR_PASSWORD_TOO_LONG'
  | 'ERR_PASSWORD_NO_UPPERCASE'
  | 'ERR_PASSWORD_NO_LOWERCASE'
  | 'ERR_PASSWORD_NO_DIGIT'
  | 'ERR_PASSWORD_NO_SYMBOL'
  | 'ERR_PKCE_VERIFIER_INVALID'
  | 'ERR_PKCE_METHOD_UNSUPPORTED'
  | 'ERR_RANDOM_FAILED'
  | 'ERR_REFRESH_INVALID'
  | 'ERR_REFRESH_EXPIRED'
  | 'ERR_REFRESH_REVOKED'
  | 'ERR_REFRESH_REUSED'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_STORE_FAILED'
  | 'ERR_IDEMPOTENCY_MISMATCH'
  | 'ERR_IDEMPOTENCY_IN_PROGRESS'
  | 'ERR_IDEMPOTENCY_KEY_INVALID'
  | 'ERR_RATE_LIMIT_KEY_INVALID'

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
   * Cache verified tokens (default 1000 entries; the least recently used goes first). An entry never outlives the token's
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

// ---- passwords -------------------------------------------------------------------------

/**
 * Argon2id costs. Defaults are OWASP's (m=19456 KiB, t=2, p=1); the upper limits are the
 * ones a stored hash may use (`ERR_INVALID_OPTION` above them).
 * @example
 * const costs: PasswordCostOptions = { memoryCost: 65536, timeCost: 3, parallelism: 1 }
 */
export interface PasswordCostOptions {
  /** Memory in KiB, from 8 × `parallelism` to 262144 (256 MiB). Default 19456 (19 MiB). */
  memoryCost?: number
  /** Passes over the memory, 1 to 16. Default 2. */
  timeCost?: number
  /** Lanes, 1 to 16. Default 1. */
  parallelism?: number
}

/**
 * Options of {@link hashPassword}.
 * @example
 * const options: HashPasswordOptions = { secret: process.env.PASSWORD_PEPPER, signal: AbortSignal.timeout(2000) }
 */
export interface HashPasswordOptions extends PasswordCostOptions {
  /**
   * A server-side secret (pepper), 1 to 1024 bytes, mixed into Argon2 as its secret key
   * (RFC 9106 `K`). It is not stored in the hash: the same secret is needed to verify.
   */
  secret?: string | Buffer | Uint8Array
  /** Aborting rejects the promise with `ERR_ABORTED` (`cause`: the signal's reason); work not yet started is cancelled. */
  signal?: AbortSignal
}

/**
 * Options of {@link verifyPassword}.
 * @example
 * const ok = await verifyPassword(user.passwordHash, password, { secret: process.env.PASSWORD_PEPPER })
 */
export interface VerifyPasswordOptions {
  /** The secret the Argon2 hash was made with. Ignored for bcrypt, which has none. */
  secret?: string | Buffer | Uint8Array
  /** Aborting rejects the promise with `ERR_ABORTED`. */
  signal?: AbortSignal
}

/**
 * Options of {@link verifyPasswordOrDummy}: those of {@link verifyPassword}, plus the costs of
 * the dummy hash used when there is no user (set them to the costs your hashes use).
 * @example
 * const options: VerifyPasswordOrDummyOptions = { memoryCost: 19456, timeCost: 2 }
 */
export interface VerifyPasswordOrDummyOptions extends VerifyPasswordOptions, PasswordCostOptions {}

/**
 * Hashes a password with Argon2id on the libuv thread pool and resolves with its PHC string
 * (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`: 16-byte random salt, 32-byte tag).
 *
 * Rejects with `ERR_PASSWORD_EMPTY` for `''`, `ERR_PASSWORD_TOO_LARGE` above 4096 UTF-8
 * bytes, `ERR_INVALID_OPTION` for costs outside the limits, `ERR_ABORTED` when aborted,
 * and a `TypeError` for a non-string password or an option of the wrong type.
 * @example
 * const passwordHash = await hashPassword(dto.password)
 * await users.insert({ email: dto.email, passwordHash })
 */
export declare function hashPassword(password: string, options?: HashPasswordOptions): Promise<string>

/**
 * {@link hashPassword} on the calling thread: it blocks the event loop for the whole hash.
 * For scripts and seeding, not for request handlers.
 * @example
 * const seedHash = hashPasswordSync('Admin123!', { memoryCost: 19456 })
 */
export declare function hashPasswordSync(password: string, options?: PasswordCostOptions & { secret?: string | Buffer | Uint8Array }): string

/**
 * Checks a password against a stored hash on the libuv thread pool: Argon2id, Argon2i and
 * Argon2d PHC strings (any parameter order, optional `data`), and bcrypt `$2a$`/`$2b$`/`$2y$`
 * hashes. The comparison is constant-time. Resolves `true` or `false`.
 *
 * A hash that cannot be checked rejects, never resolves `false`: `ERR_PASSWORD_HASH_INVALID`
 * (malformed), `ERR_PASSWORD_HASH_UNSUPPORTED` (scrypt, pbkdf2, `$2x$`, `keyid`, ...),
 * `ERR_PASSWORD_HASH_TOO_COSTLY` (costs above m=262144 KiB, t=16, p=16 or bcrypt cost 16:
 * refused, not run). A password longer than 72 bytes against a bcrypt hash rejects with
 * `ERR_PASSWORD_BCRYPT_TOO_LONG` (bcrypt would compare its first 72 bytes only).
 * @example
 * const user = await users.findByEmail(email)
 * if (!user || !(await verifyPassword(user.passwordHash, password))) throw new UnauthorizedException()
 */
export declare function verifyPassword(hash: string, password: string, options?: VerifyPasswordOptions): Promise<boolean>

/**
 * Login without revealing which accounts exist: with a hash it is {@link verifyPassword};
 * with `null` or `undefined` (no such user) it runs the same Argon2id work against a fixed
 * dummy hash with the given costs (default OWASP's) and resolves `false`. Argument and option
 * checks answer the same either way; a bcrypt user's over-72-byte password is refused
 * (`ERR_PASSWORD_BCRYPT_TOO_LONG`) only after the same work, so treat that code as a wrong password.
 * @example
 * const user = await users.findByEmail(email)
 * const ok = await verifyPasswordOrDummy(user?.passwordHash ?? null, password)
 * if (!user || !ok) throw new UnauthorizedException('Invalid credentials')
 */
export declare function verifyPasswordOrDummy(
  hash: string | null | undefined,
  password: string,
  options?: VerifyPasswordOrDummyOptions,
): Promise<boolean>

/**
 * True when a stored hash should be replaced at the next successful login: bcrypt, Argon2i or
 * Argon2d, Argon2 version 0x10, or Argon2id with less memory or fewer passes than `options`
 * (default OWASP's), or a salt or tag shorter than ferroauth's. Synchronous: it only parses.
 * Throws the same codes as {@link verifyPassword} for a hash that cannot be checked.
 * @example
 * if (await verifyPassword(user.passwordHash, password)) {
 *   if (needsRehash(user.passwordHash)) await users.update(user.id, { passwordHash: await hashPassword(password) })
 * }
 */
export declare function needsRehash(hash: string, options?: PasswordCostOptions): boolean

/** The codes {@link checkPasswordPolicy} reports, one per broken rule. */
export type PasswordPolicyErrorCode =
  | 'ERR_PASSWORD_TOO_SHORT'
  | 'ERR_PASSWORD_TOO_LONG'
  | 'ERR_PASSWORD_TOO_LARGE'
  | 'ERR_PASSWORD_NO_UPPERCASE'
  | 'ERR_PASSWORD_NO_LOWERCASE'
  | 'ERR_PASSWORD_NO_DIGIT'
  | 'ERR_PASSWORD_NO_SYMBOL'

/** One broken rule, e.g. `{ code: 'ERR_PASSWORD_NO_DIGIT', message: 'Password must contain at least one number' }`. */
export interface PasswordPolicyError {
  code: PasswordPolicyErrorCode
  message: string
}

/**
 * The rules. Lengths count Unicode characters (code points); classes follow Unicode
 * ("É" is uppercase). A special character is anything that is not a letter, a digit or a
 * control character (space included). Passwords over 4096 UTF-8 bytes always fail
 * (`ERR_PASSWORD_TOO_LARGE`), as hashing would refuse them.
 * @example
 * const policy: PasswordPolicy = { minLength: 12, requireLowercase: true }
 */
export interface PasswordPolicy {
  /** At least 1. Default 8. */
  minLength?: number
  /** No maximum by default (beyond the 4096-byte limit). */
  maxLength?: number
  /** Default true. */
  requireUppercase?: boolean
  /** Default false. */
  requireLowercase?: boolean
  /** Default true. */
  requireDigit?: boolean
  /** Default true. */
  requireSymbol?: boolean
}

/** What {@link checkPasswordPolicy} returns: narrow on `ok`. */
export type PasswordPolicyResult =
  | { ok: true; errors: [] }
  | {
      ok: false
      /** Every broken rule, in the order of {@link PasswordPolicy}'s fields. */
      errors: PasswordPolicyError[]
      /** The whole policy in one sentence, e.g. `'Password must be 8+ chars, 1 uppercase, 1 number, 1 special char.'` */
      message: string
    }

/**
 * Checks a password against a policy. The default is the reference backend's rule: 8+
 * characters, an uppercase letter, a number and a special character. Throws a `TypeError`
 * for a non-string password or a rule of the wrong type, `ERR_INVALID_OPTION` for an
 * impossible policy (`minLength` under 1, `maxLength` under `minLength`).
 * @example
 * const result = checkPasswordPolicy(dto.password)
 * if (!result.ok) throw new BadRequestException(result.message)
 */
export declare function checkPasswordPolicy(password: string, policy?: PasswordPolicy): PasswordPolicyResult

// ---- PKCE and randomness -----------------------------------------------------------------

/** The PKCE code challenge methods of RFC 7636. */
export type CodeChallengeMethod = 'S256' | 'plain'

/**
 * A new PKCE code verifier (RFC 7636 §4.1): 43 characters, 32 bytes from the OS CSPRNG as base64url.
 * @example
 * const codeVerifier = generateCodeVerifier()
 * const codeChallenge = generateCodeChallenge(codeVerifier, 'S256')
 */
export declare function generateCodeVerifier(): string

/**
 * The code challenge for a verifier (RFC 7636 §4.2): `BASE64URL(SHA-256(verifier))` for
 * `'S256'` (the default), the verifier itself for `'plain'`. Throws
 * `ERR_PKCE_VERIFIER_INVALID` unless the verifier is 43 to 128 characters of
 * `[A-Za-z0-9-._~]`, `ERR_PKCE_METHOD_UNSUPPORTED` for another method.
 * @example
 * // On the authorization server, at the token endpoint:
 * const expected = generateCodeChallenge(body.code_verifier, stored.codeChallengeMethod)
 */
export declare function generateCodeChallenge(verifier: string, method?: CodeChallengeMethod): string

/**
 * `bytes` (1 to 1024, default 32) random bytes from the OS CSPRNG as unpadded base64url.
 * Throws `ERR_INVALID_OPTION` for a size outside 1 to 1024, a `TypeError` for a non-integer.
 * @example
 * const resetToken = randomToken()      // 43 characters, 256 bits
 * const shortCode = randomToken(9)      // 12 characters
 */
export declare function randomToken(bytes?: number): string

// ---------------------------------------------------------------------------------------
// Stores

/**
 * The embedded store: state lives in this process and is lost when it exits. Right for a
 * single process; use {@link RedisStore} when several processes or machines share sessions.
 *
 * @example
 * const refresh = new RefreshTokenManager({ store: new MemoryStore() })
 */
export declare class MemoryStore {
  constructor()
  /** Resolves at once: the memory store is always there. */
  ping(): Promise<void>
  /** Session records held (live, revoked, or expired but not yet swept). */
  readonly size: number
}

export interface RedisStoreOptions {
  /** `redis://[user:password@]host[:port][/db]` (or `rediss://`). Default `redis://127.0.0.1:6379`. */
  url?: string
  /** Seed nodes of a Redis Cluster, instead of `url`. */
  cluster?: string[]
  /** Prefix of every key written. Default `'ferroauth:'`. */
  keyPrefix?: string
  /** Bound on opening a connection. Default 1 second. */
  connectTimeout?: Duration
  /**
   * Bound on each operation, reconnecting included: past it the call rejects with
   * `ERR_STORE_UNAVAILABLE`. Default 2 seconds.
   */
  commandTimeout?: Duration
}

/**
 * Redis, one server or a Redis Cluster. Connects on first use, keeps one multiplexed
 * connection and reconnects by itself. Every multi-step operation is one Lua script, one
 * round trip; all keys of one user share a hash tag, so scripts work on a cluster too.
 *
 * @example
 * const store = new RedisStore({ url: process.env.REDIS_URL, keyPrefix: 'myapp:' })
 * await store.ping() // optional: fail fast at start-up
 */
export declare class RedisStore {
  constructor(options?: RedisStoreOptions)
  /** Resolves once Redis answers; rejects with `ERR_STORE_UNAVAILABLE` otherwise. */
  ping(): Promise<void>
}

/** Any store the stateful parts accept. */
export type Store = MemoryStore | RedisStore

// ---------------------------------------------------------------------------------------
// Refresh tokens

export interface RefreshTokenManagerOptions {
  store: Store
  /** A session's absolute lifetime, from `issue`; rotation does not extend it. Default `'7d'`. */
  ttl?: Duration
  /** A token not rotated within this time expires (at most `ttl`). Default: none. */
  idleTtl?: Duration
  /**
   * For this long after a rotation, the previous token may fetch the same successor once
   * (for a client that lost the response). Default 0: any second use is reuse.
   */
  reuseGrace?: Duration
  /** Server-side key: tokens are stored as HMAC-SHA-256 instead of SHA-256. */
  secret?: string | Buffer | Uint8Array
}

/**
 * Request details recorded with a session: `{ userAgent, ip }`, or a request object
 * (Express, NestJS, `node:http`), from which `User-Agent` and `req.ip` (else the socket's
 * address) are read.
 */
export type SessionContext =
  | { userAgent?: string; ip?: string }
  | { headers: Record<string, string | string[] | undefined>; ip?: string; socket?: { remoteAddress?: string } }

export interface IssuedRefreshToken {
  /** `frt_` + 92 base64url characters. Give it to the client (e.g. {@link setRefreshCookie}). */
  token: string
  /** The session's id, for `revokeFamily` and session lists. */
  familyId: string
  /** When this token expires. */
  expiresAt: Date
}

export interface RotatedRefreshToken extends IssuedRefreshToken {
  userId: string
}

export interface SessionInfo {
  familyId: string
  userId: string
  createdAt: Date
  lastUsedAt: Date
  /** The session's absolute end. */
  expiresAt: Date
  /** When the session ends if its token is not used (equals `expiresAt` without `idleTtl`). */
  idleExpiresAt: Date
  userAgent: string | null
  ip: string | null
}

/**
 * Opaque refresh tokens, rotated on every use, with reuse detection (RFC 9700 §4.14.2):
 * a token that was already rotated revokes its whole session and rejects with
 * `ERR_REFRESH_REUSED`. Only token hashes are stored; look-ups are O(1).
 *
 * Rejections are {@link FerroAuthError}s: `ERR_REFRESH_INVALID` (missing, malformed,
 * unknown), `ERR_REFRESH_EXPIRED`, `ERR_REFRESH_REVOKED`, `ERR_REFRESH_REUSED`,
 * `ERR_STORE_UNAVAILABLE`, `ERR_STORE_FAILED`.
 *
 * @example
 * const refresh = new RefreshTokenManager({ store: new RedisStore({ url }), ttl: '7d' })
 * const { token } = await refresh.issue(user.id, req)        // at login
 * const next = await refresh.rotate(readRefreshCookie(req), req) // at /auth/refresh
 * await refresh.revoke(readRefreshCookie(req))                // at logout
 */
export declare class RefreshTokenManager {
  constructor(options: RefreshTokenManagerOptions)
  /** A session's absolute lifetime, in seconds. */
  readonly ttl: number
  /** Starts a session. */
  issue(userId: string | number, ctx?: SessionContext): Promise<IssuedRefreshToken>
  /** Exchanges a token for its successor; the presented one stops working. */
  rotate(token: string | null | undefined, ctx?: SessionContext): Promise<RotatedRefreshToken>
  /** Ends the session `token` belongs to; `false` if it had already ended or is unknown. */
  revoke(token: string | null | undefined): Promise<boolean>
  /** Ends one session by id; `false` if it had already ended or is unknown. */
  revokeFamily(familyId: string): Promise<boolean>
  /** Ends every session of a user ("log out everywhere"); resolves how many were live. */
  revokeAllForUser(userId: string | number): Promise<number>
  /** The user's live sessions, most recently used first. */
  listSessions(userId: string | number): Promise<SessionInfo[]>
  /** The hash stored for `token` (safe to log). */
  hashToken(token: string): string
}

export interface RefreshTokenHashOptions {
  /** Server-side key: HMAC-SHA-256 instead of SHA-256. */
  secret?: string | Buffer | Uint8Array
}

/**
 * A refresh token for apps that keep sessions in their own database: give `token` to the
 * client, store `hash` and `expiresAt`, and find the row later by `hashRefreshToken(token)`.
 *
 * @example
 * const { token, hash, expiresAt } = createRefreshToken({ ttl: '30d' })
 * await db.sessions.insert({ userId, hash, expiresAt })
 */
export declare function createRefreshToken(
  options?: RefreshTokenHashOptions & { ttl?: Duration },
): { token: string; hash: string; expiresAt: Date }

/**
 * The hash to look a presented token up by. Throws `ERR_REFRESH_INVALID` for anything that
 * is not a well-formed token (wrong length, prefix or checksum), before any look-up.
 *
 * @example
 * const row = await db.sessions.findOne({ hash: hashRefreshToken(readRefreshCookie(req) ?? '') })
 */
export declare function hashRefreshToken(token: string, options?: RefreshTokenHashOptions): string

// ---------------------------------------------------------------------------------------
// Rate limiting

export interface RateLimiterOptions {
  /** Where the counts live. Default: a new {@link MemoryStore} (this limiter's own). */
  store?: Store
  /** Allowed hits per window: an integer from 1 to 100000. */
  limit: number
  /** The window: seconds, or a duration string like `'1m'`; from 1 ms to 1 year. */
  window: Duration
  /**
   * Limiters with the same name share their counts (per key); each may have its own limit,
   * but give them the same window (each drops the hits older than its own). Without a name,
   * only limiters with the same limit and window share. Letters, digits, `_`, `-`, `.`; up to 64.
   */
  name?: string
}

/** The outcome of one {@link RateLimiter.consume}. */
export interface RateLimitResult {
  /** Whether this hit is allowed (and so counted). */
  allowed: boolean
  /** The limiter's limit. */
  limit: number
  /** Hits still allowed now, after this one. */
  remaining: number
  /** Whole seconds (rounded up) until a hit would be allowed; 0 when this one was. */
  retryAfter: number
  /** When the full allowance is back (a window after the newest counted hit). */
  resetAt: Date
}

/**
 * "At most `limit` hits per `window`" for each key, as an exact sliding window: never more
 * than `limit` allowed hits in *any* span of `window` (no double burst where fixed windows
 * meet). Denied hits are not counted, so hammering a locked key does not extend the lockout.
 * On a {@link RedisStore} every app server counts into the same log, on the Redis clock.
 *
 * Rejections are {@link FerroAuthError}s: `ERR_RATE_LIMIT_KEY_INVALID` (an empty key, or one
 * longer than 1024 UTF-8 bytes), `ERR_STORE_UNAVAILABLE`, `ERR_STORE_FAILED`; bad options
 * throw `ERR_INVALID_OPTION` from the constructor.
 *
 * @example
 * const loginLimiter = new RateLimiter({ store: new RedisStore({ url }), limit: 5, window: '15m', name: 'login' })
 * const { allowed, retryAfter } = await loginLimiter.consume(email.toLowerCase())
 * if (!allowed) return res.set('Retry-After', String(retryAfter)).status(429).end()
 * if (await verifyPassword(user.passwordHash, password)) await loginLimiter.reset(email.toLowerCase())
 */
export declare class RateLimiter {
  constructor(options: RateLimiterOptions)
  /** Allowed hits per window. */
  readonly limit: number
  /** The window, in seconds. */
  readonly window: number
  /** One hit for `key`: allowed and counted, or denied and not counted. */
  consume(key: string): Promise<RateLimitResult>
  /** Forgets `key`'s hits (e.g. after a successful login). */
  reset(key: string): Promise<void>
}

// ---------------------------------------------------------------------------------------
// Refresh-token cookies

/**
 * The response the cookie helpers write to: an Express 4/5 `Response` (also NestJS's with
 * `@Res({ passthrough: true })`) or a plain `node:http` `ServerResponse`. Only `getHeader` and
 * `setHeader` are used, never Express's `res.cookie`.
 */
export type RefreshCookieResponse = Pick<import('node:http').ServerResponse, 'getHeader' | 'setHeader'>

/**
 * The token to put in the cookie: a string, or what {@link RefreshTokenManager.issue} and
 * {@link RefreshTokenManager.rotate} (or {@link createRefreshToken}) resolve with, whose
 * `expiresAt` (a `Date`, or milliseconds since the epoch) then sets the cookie's lifetime.
 */
export type RefreshCookieToken = string | { token: string; expiresAt: Date | number }

/**
 * Options of {@link setRefreshCookie} and {@link clearRefreshCookie}. Give both calls the same
 * object: clearing only works with the same `name`, `path` and `domain`. "Production" means
 * `process.env.NODE_ENV === 'production'`, read at each call. Bad values throw a
 * {@link FerroAuthError} `ERR_INVALID_OPTION`; values of the wrong type a `TypeError`
 * (`ERR_INVALID_ARG_TYPE`); unknown keys (`httpOnly`, a typo) are refused too.
 * @example
 * const cookieOptions: RefreshCookieOptions = {
 *   path: '/auth',
 *   domain: process.env.COOKIE_DOMAIN || undefined,
 *   maxAge: '7d',
 * }
 */
export interface RefreshCookieOptions {
  /** The cookie's name, an RFC 6265 token. `__Secure-`/`__Host-` names must follow their prefix's rules. Default `'rt'`. */
  name?: string
  /** Only requests under this path carry the cookie; starts with `/`. Default `'/auth/refresh'`. */
  path?: string
  /** Also send the cookie to this domain's subdomains (e.g. `'example.com'`). Default: none (host-only). */
  domain?: string
  /** The `Secure` attribute (HTTPS only). Default: true in production, false otherwise. */
  secure?: boolean
  /**
   * The `SameSite` attribute, any case. Default: `'none'` in production (frontend on another
   * site), `'lax'` otherwise. `'none'` requires `secure: true` (browsers drop the cookie otherwise).
   */
  sameSite?: 'lax' | 'strict' | 'none' | 'Lax' | 'Strict' | 'None'
  /**
   * Lifetime: seconds, or a {@link Duration} string (`'7d'`, `'15m'`), whole seconds, at least 1;
   * e.g. `manager.ttl`. Default: the token's `expiresAt` when given an object, else 7 days.
   * Ignored by `clearRefreshCookie`.
   */
  maxAge?: Duration
  /** Lifetime as an end time instead of `maxAge` (not both). Ignored by `clearRefreshCookie`. */
  expires?: Date
}

/**
 * Sets the refresh-token cookie on `res`, keeping the Set-Cookie headers already set (an
 * earlier line for the same name, path and domain is replaced). The cookie is `HttpOnly`;
 * `SameSite=None; Secure` in production and `SameSite=Lax` otherwise; `Path=/auth/refresh`;
 * `Max-Age` and `Expires` from `maxAge`/`expires`, else the token's `expiresAt`, else 7 days:
 *
 * `rt=frt_…; Max-Age=604800; Path=/auth/refresh; Expires=Thu, 08 Jan 2026 12:00:00 GMT; HttpOnly; SameSite=Lax`
 *
 * Throws before writing anything: `TypeError` (`ERR_INVALID_ARG_TYPE`) for arguments of the
 * wrong type, {@link FerroAuthError} `ERR_INVALID_OPTION` for a value a browser would refuse
 * or that makes no sense (a token with `;` or spaces, `SameSite=None` without `Secure`, a
 * lifetime under a second). Also exported by `ferroauth/express` and `ferroauth/nestjs`.
 * @example
 * import { RefreshTokenManager, MemoryStore, setRefreshCookie } from 'ferroauth'
 *
 * const refresh = new RefreshTokenManager({ store: new MemoryStore(), ttl: '7d' })
 *
 * app.post('/auth/login', async (req, res) => {
 *   const user = await users.checkLogin(req.body.email, req.body.password)
 *   setRefreshCookie(res, await refresh.issue(user.id, req)) // Max-Age from its expiresAt
 *   res.json({ accessToken: signer.sign({ sub: user.id }) })
 * })
 */
export declare function setRefreshCookie(
  res: RefreshCookieResponse,
  token: RefreshCookieToken,
  options?: RefreshCookieOptions,
): void

/**
 * Removes the refresh-token cookie: the same name, path, domain, `SameSite` and `Secure` as
 * {@link setRefreshCookie} with the same options, an empty value, `Max-Age=0` and
 * `Expires=Thu, 01 Jan 1970 00:00:00 GMT`. Keeps other Set-Cookie headers and replaces an
 * earlier line for the same cookie. Throws as `setRefreshCookie` does for bad options.
 * @example
 * // The default path sends the cookie to /auth/refresh only. To also read it at logout, give
 * // every call a path that covers both routes.
 * const cookieOptions: RefreshCookieOptions = { path: '/auth' }
 *
 * app.post('/auth/logout', async (req, res) => {
 *   const token = readRefreshCookie(req, cookieOptions)
 *   if (token) await refresh.revoke(token).catch(() => false)
 *   clearRefreshCookie(res, cookieOptions)
 *   res.status(204).end()
 * })
 */
export declare function clearRefreshCookie(res: RefreshCookieResponse, options?: RefreshCookieOptions): void

/** What {@link readRefreshCookie} reads: an Express 4/5 request (also NestJS's) or a node:http `IncomingMessage`. */
export interface RefreshCookieRequest {
  headers: import('node:http').IncomingHttpHeaders
  /** Set by cookie-parser, when it ran; read first. */
  cookies?: Record<string, unknown>
}

/**
 * The refresh token sent in the cookie that {@link setRefreshCookie} sets with the same
 * options, or `undefined` when there is none. Reads `req.cookies` when cookie-parser ran and
 * the `Cookie` header otherwise, so no cookie middleware is needed. Only `name` is used; the
 * other options are accepted and checked, so one options object serves all three helpers.
 * `undefined` given to {@link RefreshTokenManager.rotate} rejects with `ERR_REFRESH_INVALID`
 * ("Refresh token is missing").
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `req` is not a request.
 * @throws {FerroAuthError} `ERR_INVALID_OPTION` for bad options, as `setRefreshCookie`.
 * @example
 * app.post('/auth/refresh', async (req, res) => {
 *   const next = await refresh.rotate(readRefreshCookie(req), req)
 *   setRefreshCookie(res, next)
 *   res.json({ accessToken: signer.sign({ sub: next.userId }) })
 * })
 */
export declare function readRefreshCookie(req: RefreshCookieRequest, options?: RefreshCookieOptions): string | undefined

// ---------------------------------------------------------------------------------------
// Request idempotency

/** What {@link requestFingerprint} covers. */
export interface FingerprintRequest {
  /** Compared upper-cased. */
  method: string
  /** The path with its query string, e.g. Express's `req.originalUrl`. */
  path: string
  /**
   * A parsed JSON body (compared in canonical form: key order does not matter), a string or
   * bytes (compared as they are), or `undefined` for no body.
   */
  body?: unknown
}

/**
 * SHA-256 (64 lowercase hex digits) of a request: its method, path and body, each framed
 * so no two different requests share a fingerprint. JSON bodies are canonicalised
 * (keys sorted at every level, no whitespace, numbers as JavaScript holds them), so
 * `{ a: 1, b: 2 }` and `{ b: 2, a: 1 }` are the same payload; the string `'{}'` and the
 * object `{}` are not.
 * @example
 * const fingerprint = requestFingerprint({ method: req.method, path: req.originalUrl, body: req.body })
 */
export declare function requestFingerprint(request: FingerprintRequest): string

export interface IdempotencyStoreOptions {
  /** Where records live. Default: a new {@link MemoryStore} (one process only). */
  store?: Store
  /** How long a completed response is replayed, from its completion. Default `'10m'`. */
  ttl?: Duration
  /**
   * How long a started request holds its key. Default: `ttl`, so a handler never runs twice
   * for one key; a process that dies mid-request leaves its key in progress (409) until then.
   */
  lockTtl?: Duration
}

/** A response as stored and replayed. */
export interface IdempotentResponse {
  status: number
  /** Names as given (lower-case from `res.getHeaders()`); a repeated header as an array. */
  headers: Record<string, string | string[]>
  body: Buffer
}

/** What {@link IdempotencyStore.complete} takes: headers may hold numbers, the body a string. */
export interface IdempotentResponseInput {
  status: number
  headers?: Record<string, string | number | readonly string[]>
  body?: Buffer | Uint8Array | string | null
}

export type IdempotencyBegin =
  /** The first request with this key: run it, then `complete` or `abort` with `lease`. */
  | { replay: false; lease: string }
  /** Done before with the same fingerprint: send `response` again. */
  | { replay: true; response: IdempotentResponse }

/**
 * Records of idempotent requests. `begin` is one atomic step: the first request with a key
 * gets a lease and runs; later ones replay its stored response, or reject with
 * `ERR_IDEMPOTENCY_MISMATCH` (same key, another fingerprint) or `ERR_IDEMPOTENCY_IN_PROGRESS`
 * (the first still runs). Keys are 1 to 1024 UTF-8 bytes (`ERR_IDEMPOTENCY_KEY_INVALID`);
 * the store holds only their SHA-256. Store failures: `ERR_STORE_UNAVAILABLE`, `ERR_STORE_FAILED`.
 * @example
 * const idem = new IdempotencyStore({ store: new RedisStore({ url }), ttl: '10m' })
 * const begun = await idem.begin(`${userId}:${key}`, requestFingerprint({ method, path, body }))
 * if (begun.replay) return send(begun.response)
 * try {
 *   const response = await run()
 *   await idem.complete(`${userId}:${key}`, begun.lease, response)
 *   return send(response)
 * } catch (error) {
 *   await idem.abort(`${userId}:${key}`, begun.lease)
 *   throw error
 * }
 */
export declare class IdempotencyStore {
  constructor(options?: IdempotencyStoreOptions)
  /** How long a completed response is replayed, in seconds. */
  readonly ttl: number
  /** How long a started request holds its key, in seconds. */
  readonly lockTtl: number
  begin(key: string, fingerprint: string): Promise<IdempotencyBegin>
  /** Stores the response for `ttl`; `false` if the lease was lost (its `lockTtl` passed). */
  complete(key: string, lease: string, response: IdempotentResponseInput): Promise<boolean>
  /** Releases the key so that a retry runs again; `false` if the lease no longer held it. */
  abort(key: string, lease: string): Promise<boolean>
}

/**
 * Options of the `idempotency()` Express middleware and of NestJS's `IdempotencyInterceptor`.
 * @example
 * const options: IdempotencyOptions = { store: new RedisStore({ url }), ttl: '10m', required: true }
 */
export interface IdempotencyOptions extends IdempotencyStoreOptions {
  /** Methods that take a key; others pass through. Default `['POST', 'PUT', 'PATCH', 'DELETE']`. */
  methods?: string[]
  /** The header holding the key (at most 255 printable ASCII characters). Default `'Idempotency-Key'`. */
  header?: string
  /** Answer 400 `<header> header is required` to a request without it. Default false. */
  required?: boolean
  /**
   * Whose key it is: the same key from two scopes is two keys, so one user can never replay
   * another's response. Default `req.user?.userId ?? ''`.
   */
  scope?: (req: import('node:http').IncomingMessage & { user?: UserPayload; [property: string]: any }) => string | number | Promise<string | number>
}
