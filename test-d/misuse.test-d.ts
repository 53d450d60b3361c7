// Misuse the types must refuse. Each `@ts-expect-error` fails the compilation if the line
// below it compiles, so this file pins what is *not* allowed.

import { TokenSigner, TokenVerifier, ErrorCodes, toUserPayload, signAccessToken, type Duration, type FerroAuthError } from 'ferroauth'

declare const token: string
declare const error: FerroAuthError

// @ts-expect-error: 'none' is not an Algorithm
new TokenSigner({ algorithm: 'none', secret: 'x' })
// @ts-expect-error: unknown algorithm name
new TokenSigner({ algorithm: 'HS999', secret: 'x' })
// @ts-expect-error: lower case is not an Algorithm
new TokenVerifier({ secret: 'x', algorithms: ['hs256'] })
// @ts-expect-error: 'none' in an allow-list
new TokenVerifier({ secret: 'x', algorithms: ['none'] })
// @ts-expect-error: algorithms is an array
new TokenVerifier({ secret: 'x', algorithms: 'HS256' })
// @ts-expect-error: options are required
new TokenSigner()
// @ts-expect-error: a number is not a secret
new TokenVerifier({ secret: 42 })
// @ts-expect-error: cache is a boolean or { max }
new TokenVerifier({ secret: 'x', cache: 'yes' })
// @ts-expect-error: a duration is seconds or a string that starts with a number
new TokenSigner({ secret: 'x', expiresIn: 'soon' })
// @ts-expect-error: not a Duration
const notADuration: Duration = true
void notADuration
// @ts-expect-error: requiredClaims is an array of names
new TokenVerifier({ secret: 'x', requiredClaims: 'sub' })
// @ts-expect-error: jwks is { keys: [...] }
new TokenVerifier({ jwks: [{ kty: 'RSA' }] })
// @ts-expect-error: unknown option (excess property)
new TokenVerifier({ secret: 'x', algorithm: 'HS256' })

const signer = new TokenSigner({ secret: 'x' })
// @ts-expect-error: claims are an object
signer.sign('sub=1')
// @ts-expect-error: claims are an object
signAccessToken(42, { secret: 'x' })

const result = new TokenVerifier({ secret: 'x' }).verify(token)
// @ts-expect-error: payload exists only once `valid` is known to be true
result.payload
if (!result.valid) {
  // @ts-expect-error: no payload on a failure
  result.payload
  // @ts-expect-error: not a code verify can return
  if (result.error.code === 'ERR_JWT_KEY_TOO_WEAK') throw new Error()
  // @ts-expect-error: not a code at all
  if (result.error.code === 'ERR_NOPE') throw new Error()
} else {
  // @ts-expect-error: no error on a success
  result.error
  // @ts-expect-error: exp is a number
  const exp: string = result.payload.exp
  void exp
  // @ts-expect-error: scopes are strings
  toUserPayload(result.payload).scopes.push(1)
}

// @ts-expect-error: code is readonly
error.code = 'ERR_JWT_EXPIRED'
// @ts-expect-error: ErrorCodes is read-only
ErrorCodes.ERR_JWT_EXPIRED = 'ERR_JWT_EXPIRED'
// @ts-expect-error: not an error code
const code: typeof error.code = 'ERR_SOMETHING_ELSE'
void code
