'use strict'

// Interoperability: hashes made by argon2 (node-argon2, the C reference implementation),
// @node-rs/argon2, bcryptjs, bcrypt (C++) and @node-rs/bcrypt verify in ferroauth, and
// ferroauth's hashes verify in node-argon2 and @node-rs/argon2. Small costs keep it fast.

const { test, describe } = require('node:test')
const assert = require('node:assert/strict')

const argon2 = require('argon2')
const nodeRsArgon2 = require('@node-rs/argon2')
const bcryptjs = require('bcryptjs')
const bcrypt = require('bcrypt')
const nodeRsBcrypt = require('@node-rs/bcrypt')

const { hashPassword, verifyPassword, verifyPasswordOrDummy, needsRehash, FerroAuthError } = require('..')

const PASSWORDS = ['hunter2', 'correct horse battery staple', 'pässwörd 密码 😀', 'x'.repeat(200), '"quotes" and \\backslashes\\ $dollars$']
const SMALL = { memoryCost: 1024, timeCost: 2, parallelism: 1 }

describe('Argon2 hashes from node-argon2 verify in ferroauth', () => {
  for (const [name, type] of [['argon2id', argon2.argon2id], ['argon2i', argon2.argon2i], ['argon2d', argon2.argon2d]]) {
    test(name, async () => {
      for (const password of PASSWORDS) {
        const hash = await argon2.hash(password, { type, ...SMALL })
        // node-argon2 writes the parameters in alphabetical order (m, p, t).
        assert.ok(hash.startsWith(`$${name}$v=19$m=1024,p=1,t=2$`), hash)
        assert.equal(await verifyPassword(hash, password), true, hash)
        assert.equal(await verifyPassword(hash, `${password}.`), false)
      }
    })
  }

  test('other costs, lanes, salt and tag lengths', async () => {
    for (const options of [
      { memoryCost: 2048, timeCost: 1, parallelism: 4 },
      { memoryCost: 4096, timeCost: 3, parallelism: 2, hashLength: 64 },
      { memoryCost: 1024, timeCost: 1, parallelism: 1, hashLength: 16, salt: Buffer.alloc(8, 7) },
      { memoryCost: 1024, timeCost: 1, parallelism: 1, salt: Buffer.alloc(32, 9) },
    ]) {
      const hash = await argon2.hash('pw', { type: argon2.argon2id, ...options })
      assert.equal(await verifyPassword(hash, 'pw'), true, hash)
      assert.equal(await verifyPassword(hash, 'pW'), false, hash)
    }
  })

  test("node-argon2's defaults (m=65536, t=3, p=4) verify, and count as strong enough", async () => {
    const hash = await argon2.hash('pw')
    assert.match(hash, /^\$argon2id\$v=19\$m=65536,p=4,t=3\$/)
    assert.equal(await verifyPassword(hash, 'pw'), true)
    assert.equal(needsRehash(hash), false)
  })

  test('a secret (pepper) and associated data', async () => {
    const secret = Buffer.from('pepper-pepper-pepper')
    const peppered = await argon2.hash('pw', { type: argon2.argon2id, ...SMALL, secret })
    assert.equal(await verifyPassword(peppered, 'pw', { secret }), true)
    assert.equal(await verifyPassword(peppered, 'pw', { secret: 'pepper-pepper-pepper' }), true)
    assert.equal(await verifyPassword(peppered, 'pw'), false)

    const withData = await argon2.hash('pw', { type: argon2.argon2id, ...SMALL, associatedData: Buffer.from('tenant-42') })
    assert.match(withData, /,data=dGVuYW50LTQy\$/)
    assert.equal(await verifyPassword(withData, 'pw'), true)
    assert.equal(await verifyPassword(withData, 'pw!'), false)
  })
})

describe("ferroauth's hashes verify in node-argon2", () => {
  test('default costs and small costs', async () => {
    for (const options of [undefined, SMALL, { memoryCost: 2048, timeCost: 1, parallelism: 4 }]) {
      for (const password of PASSWORDS) {
        const hash = await hashPassword(password, options)
        assert.equal(await argon2.verify(hash, password), true, hash)
        assert.equal(await argon2.verify(hash, `${password}.`), false)
      }
    }
  })

  test('with a secret', async () => {
    const secret = Buffer.from('pepper-pepper-pepper')
    const hash = await hashPassword('pw', { ...SMALL, secret })
    assert.equal(await argon2.verify(hash, 'pw', { secret }), true)
    assert.equal(await argon2.verify(hash, 'pw'), false)
  })

  test("node-argon2's needsRehash reads ferroauth's parameters", async () => {
    const hash = await hashPassword('pw', SMALL)
    assert.equal(argon2.needsRehash(hash, { memoryCost: 1024, timeCost: 2, parallelism: 1 }), false)
    assert.equal(argon2.needsRehash(hash, { memoryCost: 2048, timeCost: 2, parallelism: 1 }), true)
  })
})

describe('@node-rs/argon2, both ways', () => {
  test('its hashes verify in ferroauth, and ferroauth hashes verify in it', async () => {
    for (const password of PASSWORDS) {
      const theirs = await nodeRsArgon2.hash(password, { algorithm: nodeRsArgon2.Algorithm?.Argon2id ?? 2, ...SMALL })
      assert.equal(await verifyPassword(theirs, password), true, theirs)
      const ours = await hashPassword(password, SMALL)
      assert.equal(await nodeRsArgon2.verify(ours, password), true, ours)
      assert.equal(await nodeRsArgon2.verify(ours, `${password}.`), false)
    }
  })
})

describe('bcrypt hashes verify in ferroauth', () => {
  test('bcryptjs ($2a$ and $2b$, costs 4 and 10)', async () => {
    for (const password of ['hunter2', 'pässwörd 密码 😀', 'x'.repeat(72)]) {
      for (const cost of [4, 10]) {
        const hash = bcryptjs.hashSync(password, cost)
        assert.match(hash, /^\$2b\$/)
        assert.equal(await verifyPassword(hash, password), true, hash)
        assert.equal(await verifyPassword(hash, password.slice(0, -1)), false)
        assert.equal(needsRehash(hash), true)
      }
      // $2a$ is what bcryptjs 2 and most older libraries wrote: the same function.
      const legacy = bcryptjs.hashSync(password, 4).replace(/^\$2b\$/, '$2a$')
      assert.equal(bcryptjs.compareSync(password, legacy), true)
      assert.equal(await verifyPassword(legacy, password), true, legacy)
    }
  })

  test('bcrypt (C++) and @node-rs/bcrypt; $2y$ (PHP) spelling of the same hash', async () => {
    for (const password of ['hunter2', 'pässwörd 密码 😀']) {
      const native = await bcrypt.hash(password, 4)
      assert.equal(await verifyPassword(native, password), true, native)
      assert.equal(await verifyPassword(native.replace(/^\$2b\$/, '$2y$'), password), true)
      const rs = await nodeRsBcrypt.hash(password, { cost: 4 })
      assert.equal(await verifyPassword(rs, password), true, rs)
      assert.equal(await verifyPassword(rs, 'other'), false)
    }
  })

  test('a password over 72 bytes that bcryptjs would accept on its first 72 bytes is refused', async () => {
    const long = 'a'.repeat(72) + 'the rest is ignored by bcrypt'
    const hash = bcryptjs.hashSync(long, 4)
    // bcryptjs (and the C library) truncate: any password sharing the first 72 bytes matches.
    assert.equal(bcryptjs.compareSync('a'.repeat(72) + 'something else entirely', hash), true)
    for (const attempt of [long, 'a'.repeat(72) + 'something else entirely']) {
      await assert.rejects(verifyPassword(hash, attempt), (error) => {
        assert.ok(error instanceof FerroAuthError)
        assert.equal(error.code, 'ERR_PASSWORD_BCRYPT_TOO_LONG')
        return true
      })
      await assert.rejects(verifyPasswordOrDummy(hash, attempt), { code: 'ERR_PASSWORD_BCRYPT_TOO_LONG' })
    }
    // The stored hash still verifies its first 72 bytes, which is what it encodes.
    assert.equal(await verifyPassword(hash, 'a'.repeat(72)), true)
  })
})
