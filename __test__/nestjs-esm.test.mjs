// A NestJS app written as an ES module, as NestJS 12's `nest new` makes them
// (__test__/nest-esm-app/app.mts, compiled at start under --strict with module nodenext):
// named ESM imports from 'ferroauth' and 'ferroauth/nestjs', FerroAuthModule, JwtAuthGuard as
// APP_GUARD, @Public, @CurrentUser and @Scopes, driven over HTTP on 127.0.0.1.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'

const require = createRequire(import.meta.url)
const { tscSync } = require('./helpers/tsc.js')

const APP_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'nest-esm-app')
const DIST = path.join(APP_DIR, 'dist') // .gitignored
process.env.JWT_ACCESS_SECRET = 'ferroauth-nest-esm-test-secret-0123456789abc'

let app
let base
let signer

before(async () => {
  fs.rmSync(DIST, { recursive: true, force: true })
  const compiled = tscSync(APP_DIR)
  assert.equal(compiled.status, 0, `the app did not compile under --strict:\n${compiled.output}`)
  const module = await import(pathToFileURL(path.join(DIST, 'app.mjs')).href)
  signer = module.signer
  const { NestFactory } = await import('@nestjs/core')
  app = await NestFactory.create(module.AppModule, { logger: false, forceCloseConnections: true })
  await app.listen(0, '127.0.0.1')
  base = `http://127.0.0.1:${app.getHttpServer().address().port}`
})
after(async () => {
  await app?.close()
})

async function get(route, token) {
  const response = await fetch(base + route, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
  return { status: response.status, challenge: response.headers.get('www-authenticate'), text: await response.text() }
}

test('the ESM app compiled with module nodenext and the imports resolved to this package', () => {
  const config = JSON.parse(fs.readFileSync(path.join(APP_DIR, 'tsconfig.json'), 'utf8')).compilerOptions
  assert.deepEqual([config.strict, config.module], [true, 'nodenext'])
  const output = fs.readFileSync(path.join(DIST, 'app.mjs'), 'utf8')
  assert.match(output, /^import \{ CurrentUser, FerroAuthModule, JwtAuthGuard, Public, Scopes \} from 'ferroauth\/nestjs';$/m)
})

test('a @Public() route answers without a token', async () => {
  assert.deepEqual(await get('/health'), { status: 200, challenge: null, text: '{"ok":true}' })
})

test('the global guard: 401 without a token, the user with one', async () => {
  assert.deepEqual(await get('/me'), {
    status: 401,
    challenge: 'Bearer',
    text: '{"statusCode":401,"message":"Missing bearer token","error":"Unauthorized"}',
  })
  const token = signer.sign({ sub: 'esm-user', email: 'esm@example.com' })
  assert.deepEqual(await get('/me', token), { status: 200, challenge: null, text: '{"userId":"esm-user","email":"esm@example.com"}' })
})

test('@Scopes: 403 with insufficient_scope, then the handler with the scope', async () => {
  const plain = await get('/reports', signer.sign({ sub: 'esm-user' }))
  assert.equal(plain.status, 403)
  assert.equal(plain.text, '{"statusCode":403,"message":"Insufficient scope: requires reports:read","error":"Forbidden"}')
  assert.equal(plain.challenge, 'Bearer error="insufficient_scope", error_description="Insufficient scope: requires reports:read", scope="reports:read"')
  const scoped = await get('/reports', signer.sign({ sub: 'esm-user', scope: 'reports:read' }))
  assert.deepEqual([scoped.status, scoped.text], [200, '{"for":"esm-user"}'])
})
