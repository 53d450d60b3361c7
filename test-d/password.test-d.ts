// Type-level tests for passwords, PKCE and random tokens, compiled with `tsc -p test-d`
// (strict). Written the way an application would use them; each `expectType` pins a type
// exactly, and each `@ts-expect-error` pins a misuse the types refuse.

import {
  hashPassword,
  hashPasswordSync,
  verifyPassword,
  verifyPasswordOrDummy,
  needsRehash,
  checkPasswordPolicy,
  generateCodeVerifier,
  generateCodeChallenge,
  randomToken,
  FerroAuthError,
  ErrorCodes,
  type ErrorCode,
  type HashPasswordOptions,
  type VerifyPasswordOptions,
  type VerifyPasswordOrDummyOptions,
  type PasswordCostOptions,
  type PasswordPolicy,
  type PasswordPolicyResult,
  type PasswordPolicyError,
  type PasswordPolicyErrorCode,
  type CodeChallengeMethod,
} from 'ferroauth'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
declare function expectType<A>(): <B>(value: B, ...check: Equal<A, B> extends true ? [] : [never]) => void

interface User {
  id: string
  email: string
  passwordHash: string
}
declare function findUser(email: string): Promise<User | undefined>
declare function saveHash(id: string, hash: string): Promise<void>

// ---- hashing and verifying -------------------------------------------------------------

async function signup(password: string): Promise<string> {
  const policy = checkPasswordPolicy(password)
  if (!policy.ok) {
    expectType<string>()(policy.message)
    expectType<PasswordPolicyError[]>()(policy.errors)
    expectType<PasswordPolicyErrorCode>()(policy.errors[0]!.code)
    throw new Error(policy.message)
  }
  expectType<[]>()(policy.errors)
  const options: HashPasswordOptions = {
    memoryCost: 19456,
    timeCost: 2,
    parallelism: 1,
    secret: process.env.PASSWORD_PEPPER ?? Buffer.from('dev-pepper'),
    signal: AbortSignal.timeout(2000),
  }
  const hash = await hashPassword(password, options)
  expectType<string>()(hash)
  expectType<Promise<string>>()(hashPassword(password))
  expectType<string>()(hashPasswordSync(password, { memoryCost: 1024, secret: new Uint8Array(16) }))
  return hash
}

async function login(email: string, password: string): Promise<User | null> {
  const user = await findUser(email)
  const ok = await verifyPasswordOrDummy(user?.passwordHash ?? null, password, { memoryCost: 19456 })
  expectType<boolean>()(ok)
  if (!user || !ok) return null
  if (needsRehash(user.passwordHash)) await saveHash(user.id, await hashPassword(password))
  return user
}

async function errors(hash: string, password: string): Promise<boolean> {
  const verifyOptions: VerifyPasswordOptions = { secret: 'pepper', signal: new AbortController().signal }
  try {
    return await verifyPassword(hash, password, verifyOptions)
  } catch (error) {
    if (error instanceof FerroAuthError) {
      expectType<ErrorCode>()(error.code)
      if (error.code === ErrorCodes.ERR_PASSWORD_HASH_INVALID || error.code === 'ERR_PASSWORD_BCRYPT_TOO_LONG') return false
      if (error.code === 'ERR_ABORTED') throw error
    }
    throw error
  }
}

const costs: PasswordCostOptions = { memoryCost: 65536 }
const dummy: VerifyPasswordOrDummyOptions = { ...costs, secret: 'pepper' }
expectType<boolean>()(needsRehash('$2b$10$...', costs))
expectType<Promise<boolean>>()(verifyPasswordOrDummy(undefined, 'pw', dummy))
void signup
void login
void errors

// ---- policy ------------------------------------------------------------------------------

const strict: PasswordPolicy = {
  minLength: 12,
  maxLength: 64,
  requireUppercase: true,
  requireLowercase: true,
  requireDigit: true,
  requireSymbol: false,
}
const result: PasswordPolicyResult = checkPasswordPolicy('Passw0rd!', strict)
if (result.ok) expectType<true>()(result.ok)
else expectType<string>()(result.message)

// ---- PKCE and randomness ---------------------------------------------------------------

const verifier = generateCodeVerifier()
expectType<string>()(verifier)
expectType<string>()(generateCodeChallenge(verifier))
expectType<string>()(generateCodeChallenge(verifier, 'S256'))
const method: CodeChallengeMethod = 'plain'
expectType<string>()(generateCodeChallenge(verifier, method))
expectType<string>()(randomToken())
expectType<string>()(randomToken(16))

// ---- misuse ------------------------------------------------------------------------------

// @ts-expect-error: the password is a string
hashPassword(Buffer.from('pw'))
// @ts-expect-error: costs are numbers
hashPassword('pw', { memoryCost: '19456' })
// @ts-expect-error: unknown option
hashPassword('pw', { algorithm: 'bcrypt' })
// @ts-expect-error: a synchronous hash cannot be aborted
hashPasswordSync('pw', { signal: new AbortController().signal })
// @ts-expect-error: hash first, then password
verifyPassword('pw')
// @ts-expect-error: a secret is a string or bytes
verifyPassword('$argon2id$...', 'pw', { secret: 42 })
// @ts-expect-error: verifyPassword resolves a boolean, not a string
const notAString: Promise<string> = verifyPassword('$argon2id$...', 'pw')
void notAString
// @ts-expect-error: verifyPasswordOrDummy takes a hash, null or undefined
verifyPasswordOrDummy(0, 'pw')
// @ts-expect-error: needsRehash is synchronous
const notAPromise: Promise<boolean> = needsRehash('$argon2id$...')
void notAPromise
// @ts-expect-error: lengths are numbers
checkPasswordPolicy('pw', { minLength: '8' })
// @ts-expect-error: message exists only when the check failed
checkPasswordPolicy('pw').message
// @ts-expect-error: methods are 'S256' or 'plain'
generateCodeChallenge(verifier, 'S512')
// @ts-expect-error: the size is a number
randomToken('32')
