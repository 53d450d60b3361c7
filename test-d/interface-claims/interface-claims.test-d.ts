// The spec (jwt-api.md) types the claims as `object`: `.sign(claims: object) -> string`.
// Applications describe their claims with interfaces, which have no index signature, so a
// `Record<string, unknown>` parameter refuses them. Kept apart from test-d/ so this one
// contract fails on its own.

import { TokenSigner, signAccessToken, type TokenSignerOptions } from 'ferroauth'

interface AccessClaims {
  sub: string
  email: string
  roles: string[]
}

const options: TokenSignerOptions = { secret: 'shared-secret-shared-secret-shared' }
const claims: AccessClaims = { sub: 'user-1', email: 'ada@example.com', roles: ['admin'] }

const fromSigner: string = new TokenSigner(options).sign(claims)
const fromOneCall: string = signAccessToken(claims, options)
void fromSigner
void fromOneCall
