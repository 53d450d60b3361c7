// Type-level tests for request idempotency, compiled with `tsc -p test-d` (strict): the store
// driven by hand, the Express middleware, the NestJS interceptor and module options, misuse refused.

import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  ErrorCodes,
  FerroAuthError,
  IdempotencyStore,
  MemoryStore,
  RedisStore,
  requestFingerprint,
  type ErrorCode,
  type IdempotencyBegin,
  type IdempotencyOptions,
  type IdempotencyStoreOptions,
  type IdempotentResponse,
} from 'ferroauth'
import { idempotency } from 'ferroauth/express'
import { FerroAuthModule, IdempotencyInterceptor, type FerroAuthModuleOptions } from 'ferroauth/nestjs'
import type { DynamicModule, NestInterceptor } from '@nestjs/common'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
declare function expectType<A>(): <B>(value: B, ...check: Equal<A, B> extends true ? [] : [never]) => void

// ---- fingerprints and the store ------------------------------------------------------------

expectType<string>()(requestFingerprint({ method: 'POST', path: '/orders', body: { item: 'book' } }))
requestFingerprint({ method: 'DELETE', path: '/orders/1' })
requestFingerprint({ method: 'PUT', path: '/raw', body: Buffer.from('bytes') })
// @ts-expect-error the path is required
requestFingerprint({ method: 'POST' })

const options: IdempotencyStoreOptions = { store: new RedisStore({ url: 'redis://127.0.0.1:6379' }), ttl: '10m', lockTtl: 30 }
const idem = new IdempotencyStore(options)
new IdempotencyStore()
new IdempotencyStore({ store: new MemoryStore() })
expectType<number>()(idem.ttl)
expectType<number>()(idem.lockTtl)
// @ts-expect-error ttl is a duration
new IdempotencyStore({ ttl: true })

async function handle(key: string, fingerprint: string): Promise<IdempotentResponse> {
  let begun: IdempotencyBegin
  try {
    begun = await idem.begin(key, fingerprint)
  } catch (error) {
    if (error instanceof FerroAuthError && error.code === ErrorCodes.ERR_IDEMPOTENCY_MISMATCH) throw error
    if (error instanceof FerroAuthError && error.code === 'ERR_IDEMPOTENCY_IN_PROGRESS') throw error
    throw error
  }
  if (begun.replay) {
    expectType<number>()(begun.response.status)
    expectType<Buffer>()(begun.response.body)
    expectType<Record<string, string | string[]>>()(begun.response.headers)
    // @ts-expect-error a replay has no lease
    begun.lease
    return begun.response
  }
  expectType<string>()(begun.lease)
  expectType<Promise<boolean>>()(idem.complete(key, begun.lease, { status: 201, headers: { 'content-length': 2, 'x-many': ['a', 'b'] }, body: 'ok' }))
  expectType<Promise<boolean>>()(idem.complete(key, begun.lease, { status: 204 }))
  expectType<Promise<boolean>>()(idem.abort(key, begun.lease))
  // @ts-expect-error a response needs its status
  idem.complete(key, begun.lease, { body: 'ok' })
  return { status: 201, headers: {}, body: Buffer.alloc(0) }
}
void handle

const codes: ErrorCode[] = ['ERR_IDEMPOTENCY_MISMATCH', 'ERR_IDEMPOTENCY_IN_PROGRESS', 'ERR_IDEMPOTENCY_KEY_INVALID']
void codes

// ---- Express -------------------------------------------------------------------------------

const middleware = idempotency({
  store: new MemoryStore(),
  methods: ['POST', 'PATCH'],
  header: 'Idempotency-Key',
  required: true,
  scope: (req) => req.user?.userId ?? req.headers['x-tenant-id']?.toString() ?? '',
})
expectType<(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void>()(middleware)
idempotency()
// @ts-expect-error methods is a list
idempotency({ methods: 'POST' })
const shared: IdempotencyOptions = { ttl: '1h', scope: async () => 'tenant-1' }
idempotency(shared)

// ---- NestJS --------------------------------------------------------------------------------

const interceptor: NestInterceptor = new IdempotencyInterceptor({ required: true })
void interceptor
new IdempotencyInterceptor()
const moduleOptions: FerroAuthModuleOptions = {
  secret: 'x'.repeat(32),
  store: new RedisStore({ url: 'redis://127.0.0.1:6379' }),
  idempotency: { ttl: '10m', lockTtl: '2m', methods: ['POST'] },
}
expectType<DynamicModule>()(FerroAuthModule.forRoot(moduleOptions))
FerroAuthModule.forRootAsync({ useFactory: async () => ({ secret: 'x'.repeat(32), idempotency: { required: true } }) })
// @ts-expect-error idempotency options are an object
FerroAuthModule.forRoot({ secret: 'x'.repeat(32), idempotency: '10m' })
