// The package as ESM: `import ... from 'ferroauth'` resolves through the package's own
// `exports` map (self-reference by name) to the CommonJS entry, and every export is a
// named import bound to the very object `require()` returns.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import ferroauth, { TokenSigner, TokenVerifier } from 'ferroauth'
import * as namespace from 'ferroauth'

const require = createRequire(import.meta.url)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

test('the package name resolves to this package through its exports map', () => {
  assert.equal(fileURLToPath(import.meta.resolve('ferroauth')), path.join(root, 'index.js'))
  assert.equal(require.resolve('ferroauth'), path.join(root, 'index.js'))
  assert.equal(require('ferroauth/package.json').name, 'ferroauth')
})

test('named imports sign and verify a token', () => {
  const secret = 'esm-test-secret-0123456789abcdefghij'
  const token = new TokenSigner({ secret, issuer: 'esm', expiresIn: 60 }).sign({ sub: 'user-1' })
  const outcome = new TokenVerifier({ secret, issuer: 'esm' }).verify(token)
  assert.equal(outcome.valid, true, JSON.stringify(outcome))
  assert.equal(outcome.payload.sub, 'user-1')
  assert.equal(outcome.payload.iss, 'esm')
})

test('every CommonJS export is a named ESM export of the same value', () => {
  const cjs = require('ferroauth')
  assert.equal(ferroauth, cjs)
  assert.equal(TokenSigner, cjs.TokenSigner)
  assert.equal(TokenVerifier, cjs.TokenVerifier)
  const names = Object.keys(cjs)
  assert.ok(names.includes('TokenSigner') && names.includes('TokenVerifier'))
  for (const name of names) {
    assert.ok(name in namespace, `${name} is exported by require('ferroauth') but not importable by name`)
    assert.equal(namespace[name], cjs[name], name)
  }
})

test('an instance made from an import is an instance of the required class', () => {
  const cjs = require('ferroauth')
  const signer = new TokenSigner({ secret: 'esm-test-secret-0123456789abcdefghij' })
  assert.ok(signer instanceof cjs.TokenSigner)
})

test('ferroauth/express and ferroauth/nestjs: every CommonJS export is a named ESM export of the same value', async () => {
  for (const subpath of ['ferroauth/express', 'ferroauth/nestjs']) {
    const cjs = require(subpath)
    const esm = await import(subpath)
    assert.equal(esm.default, cjs, subpath)
    const names = Object.keys(cjs)
    assert.ok(names.length > 3, `${subpath} exports ${names}`)
    for (const name of names) {
      assert.ok(name in esm, `${name} is exported by require('${subpath}') but not importable by name`)
      assert.equal(esm[name], cjs[name], `${subpath} ${name}`)
    }
  }
})
