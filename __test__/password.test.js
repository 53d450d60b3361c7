'use strict'

// Passwords: hashing and verifying (RFC 9106 vector, the Argon2 reference implementation's
// PHC strings), every malformed-hash and bad-input case with its code and message, bcrypt's
// 72-byte rule, limits, rehash advice, the dummy verification, AbortSignal, the event loop
// staying free while hashes run, and the password policy.
// Interoperability with other libraries is in password-interop.test.js.

const { test, describe } = require('node:test')
const assert = require('node:assert/strict')
const { monitorEventLoopDelay, performance } = require('node:perf_hooks')
const { getEventListeners } = require('node:events')

const {
  hashPassword,
  hashPasswordSync,
  verifyPassword,
  verifyPasswordOrDummy,
  needsRehash,
  checkPasswordPolicy,
  FerroAuthError,
  ErrorCodes,
} = require('..')
const { rejectsWith } = require('./helpers/rejects.js')

/** Small costs keep the suite fast; the defaults are used where they are the point. */
const FAST = Object.freeze({ memoryCost: 1024, timeCost: 1, parallelism: 1 })
/** Costs that keep a pool thread busy long enough to observe queueing. */
const SLOW = Object.freeze({ memoryCost: 65536, timeCost: 3, parallelism: 1 })

const BCRYPT_PASSWORD = '$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie' // "correctbatteryhorsestapler"

async function rejectsWithTypeError(promise, pattern) {
  let error
  try {
    await promise
  } catch (caught) {
    error = caught
  }
  assert.ok(error instanceof TypeError, `expected a TypeError, got ${error}`)
  assert.equal(error.code, 'ERR_INVALID_ARG_TYPE')
  if (pattern) assert.match(error.message, pattern)
}

function throwsWith(fn, code, message) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof FerroAuthError, `${error.name}: ${error.message}`)
    assert.equal(error.code, code, error.message)
    if (message !== undefined) assert.equal(error.message, message)
    return true
  })
}

function throwsTypeError(fn, pattern) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof TypeError, `${error.name}: ${error.message}`)
    assert.equal(error.code, 'ERR_INVALID_ARG_TYPE')
    if (pattern) assert.match(error.message, pattern)
    return true
  })
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

describe('hashPassword and verifyPassword', () => {
  test('default costs are OWASP (Argon2id, m=19456 KiB, t=2, p=1), 16-byte salt, 32-byte tag', async () => {
    const hash = await hashPassword('correct horse battery staple')
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
    assert.equal(await verifyPassword(hash, 'correct horse battery staple'), true)
    assert.equal(await verifyPassword(hash, 'correct horse battery stapler'), false)
    assert.equal(needsRehash(hash), false)
  })

  test('options set the costs; every hash has a fresh salt', async () => {
    const a = await hashPassword('pw', { memoryCost: 2048, timeCost: 3, parallelism: 2 })
    assert.match(a, /^\$argon2id\$v=19\$m=2048,t=3,p=2\$/)
    const b = await hashPassword('pw', { memoryCost: 2048, timeCost: 3, parallelism: 2 })
    assert.notEqual(a, b)
    assert.equal(await verifyPassword(a, 'pw'), true)
    assert.equal(await verifyPassword(b, 'pw'), true)
  })

  test('Unicode passwords are hashed as UTF-8; lone surrogates do not crash', async () => {
    for (const password of ['pässwörd', '密码密码', '😀 emoji', 'tab\tnewline\nnul\0']) {
      const hash = await hashPassword(password, FAST)
      assert.equal(await verifyPassword(hash, password), true, password)
      assert.equal(await verifyPassword(hash, password.normalize('NFD') + 'x'), false)
    }
    const hash = await hashPassword('\ud800', FAST)
    assert.equal(await verifyPassword(hash, '\ud800'), true)
  })

  test('hashPasswordSync writes the same format through the same code path', async () => {
    const hash = hashPasswordSync('sync-pw', FAST)
    assert.match(hash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/)
    assert.equal(await verifyPassword(hash, 'sync-pw'), true)
    assert.match(hashPasswordSync('x'), /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    throwsWith(() => hashPasswordSync('', FAST), 'ERR_PASSWORD_EMPTY', 'Password is empty')
    throwsWith(() => hashPasswordSync('x', { memoryCost: 4 }), 'ERR_INVALID_OPTION')
    throwsTypeError(() => hashPasswordSync(1), /^password must be a string, got number$/)
    throwsTypeError(() => hashPasswordSync('x', { signal: new AbortController().signal }), /signal/)
  })

  test('RFC 9106 §5.3 Argon2id vector (secret and associated data), as a PHC string', async () => {
    // Password: 32 bytes of 0x01, salt 16 x 0x02, secret 8 x 0x03, associated data 12 x 0x04.
    const phc =
      '$argon2id$v=19$m=32,t=3,p=4,data=BAQEBAQEBAQEBAQE$AgICAgICAgICAgICAgICAg$DWQN9Y14dmwIwDejSotTydAe8EUtdbZetSUg6WsB5lk'
    const password = '\x01'.repeat(32)
    const secret = Buffer.alloc(8, 3)
    assert.equal(await verifyPassword(phc, password, { secret }), true)
    assert.equal(await verifyPassword(phc, password, { secret: new Uint8Array(8).fill(3) }), true)
    assert.equal(await verifyPassword(phc, password, { secret: '\x03'.repeat(8) }), true)
    assert.equal(await verifyPassword(phc, password), false)
    assert.equal(await verifyPassword(phc, password, { secret: Buffer.alloc(8, 4) }), false)
    assert.equal(await verifyPassword(phc, '\x01'.repeat(31), { secret }), false)
  })

  test('PHC strings from the Argon2 reference implementation (argon2i v=19 and v=16, with and without v=, argon2id)', async () => {
    for (const phc of [
      '$argon2i$v=19$m=256,t=2,p=2$c29tZXNhbHQ$T/XOJ2mh1/TIpJHfCdQan76Q5esCFVoT5MAeIM1Oq2E',
      '$argon2i$v=16$m=256,t=2,p=1$c29tZXNhbHQ$/U3YPXYsSb3q9XxHvc0MLxur+GP960kN9j7emXX8zwY',
      '$argon2i$m=256,t=2,p=2$c29tZXNhbHQ$tsEVYKap1h6scGt5ovl9aLRGOqOth+AMB+KwHpDFZPs',
      '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
    ]) {
      assert.equal(await verifyPassword(phc, 'password'), true, phc)
      assert.equal(await verifyPassword(phc, 'passwore'), false, phc)
    }
  })

  test('a secret (pepper) is required to verify a peppered hash', async () => {
    const hash = await hashPassword('pw', { ...FAST, secret: 'server-side pepper' })
    assert.equal(await verifyPassword(hash, 'pw', { secret: 'server-side pepper' }), true)
    assert.equal(await verifyPassword(hash, 'pw', { secret: Buffer.from('server-side pepper') }), true)
    assert.equal(await verifyPassword(hash, 'pw', { secret: 'another pepper' }), false)
    assert.equal(await verifyPassword(hash, 'pw'), false)
    // bcrypt has no pepper: the secret is ignored there.
    assert.equal(await verifyPassword(BCRYPT_PASSWORD, 'correctbatteryhorsestapler', { secret: 'x' }), true)
  })

  test('many concurrent hashes and verifications all settle correctly', async () => {
    const passwords = Array.from({ length: 24 }, (_, i) => `password-${i}`)
    const hashes = await Promise.all(passwords.map((p) => hashPassword(p, FAST)))
    const results = await Promise.all(hashes.map((h, i) => verifyPassword(h, passwords[(i + i % 2) % passwords.length])))
    assert.deepEqual(results, passwords.map((_, i) => i % 2 === 0))
  })
})

describe('bad inputs are refused with a code (or a TypeError), never a guess', () => {
  test('non-string passwords and hashes are TypeErrors (rejections for the async functions)', async () => {
    for (const bad of [undefined, null, 42, Buffer.from('pw'), ['pw'], { toString: () => 'pw' }, Symbol('pw')]) {
      await rejectsWithTypeError(hashPassword(bad), /^password must be a string/)
      await rejectsWithTypeError(verifyPassword(BCRYPT_PASSWORD, bad), /^password must be a string/)
      await rejectsWithTypeError(verifyPasswordOrDummy(null, bad), /^password must be a string/)
      throwsTypeError(() => checkPasswordPolicy(bad), /^password must be a string/)
    }
    for (const bad of [42, {}, Buffer.from(BCRYPT_PASSWORD), true]) {
      await rejectsWithTypeError(verifyPassword(bad, 'pw'), /^hash must be a string/)
      await rejectsWithTypeError(verifyPasswordOrDummy(bad, 'pw'), /^hash must be a string/)
      throwsTypeError(() => needsRehash(bad), /^hash must be a string/)
    }
    await rejectsWithTypeError(verifyPassword(undefined, 'pw'), /^hash must be a string, got undefined$/)
  })

  test('options of the wrong type are TypeErrors', async () => {
    const cases = [
      ['x', /^options must be an object, got string$/],
      [[], /^options must be an object, got an array$/],
      [{ memoryCost: '19456' }, /^options\.memoryCost must be an integer \(KiB\), got string$/],
      [{ memoryCost: 1024.5 }, /^options\.memoryCost must be an integer/],
      [{ memoryCost: Number.NaN }, /^options\.memoryCost/],
      [{ timeCost: 2n }, /^options\.timeCost must be an integer, got bigint$/],
      [{ parallelism: null }, /^options\.parallelism must be an integer, got null$/],
      [{ secret: 42 }, /^options\.secret must be a string, a Buffer or a Uint8Array, got number$/],
      [{ secret: null }, /^options\.secret/],
      [{ signal: {} }, /^options\.signal must be an AbortSignal, got object$/],
    ]
    for (const [options, pattern] of cases) {
      await rejectsWithTypeError(hashPassword('pw', options), pattern)
    }
    await rejectsWithTypeError(verifyPassword(BCRYPT_PASSWORD, 'pw', { secret: 1 }), /^options\.secret/)
    await rejectsWithTypeError(verifyPasswordOrDummy(null, 'pw', { memoryCost: '1' }), /^options\.memoryCost/)
    throwsTypeError(() => needsRehash(BCRYPT_PASSWORD, { timeCost: '2' }), /^options\.timeCost/)
    throwsTypeError(() => needsRehash(BCRYPT_PASSWORD, 1), /^options must be an object/)
  })

  test('costs outside the limits are ERR_INVALID_OPTION', async () => {
    const cases = [
      [{ memoryCost: 7 }, 'memoryCost must be from 8 * parallelism (8) to 262144 KiB'],
      [{ memoryCost: 15, parallelism: 2 }, 'memoryCost must be from 8 * parallelism (16) to 262144 KiB'],
      [{ memoryCost: 262145 }, 'memoryCost must be from 8 * parallelism (8) to 262144 KiB'],
      [{ memoryCost: 2 ** 32 + 1024 }, 'memoryCost must be from 8 * parallelism (8) to 262144 KiB'],
      [{ memoryCost: -1 }, 'memoryCost must be from 8 * parallelism (8) to 262144 KiB'],
      [{ timeCost: 0 }, 'timeCost must be from 1 to 16'],
      [{ timeCost: 17 }, 'timeCost must be from 1 to 16'],
      [{ parallelism: 0 }, 'parallelism must be from 1 to 16'],
      [{ parallelism: 17 }, 'parallelism must be from 1 to 16'],
      [{ secret: '' }, 'secret must not be empty'],
      [{ secret: Buffer.alloc(0) }, 'secret must not be empty'],
      [{ secret: Buffer.alloc(1025) }, 'secret must be at most 1024 bytes'],
    ]
    for (const [options, message] of cases) {
      await rejectsWith(hashPassword('pw', options), 'ERR_INVALID_OPTION', message)
      // The same refusal with or without a user: the outcome does not tell whether one exists.
      await rejectsWith(verifyPasswordOrDummy(null, 'pw', options), 'ERR_INVALID_OPTION', message)
      await rejectsWith(verifyPasswordOrDummy(BCRYPT_PASSWORD, 'pw', options), 'ERR_INVALID_OPTION', message)
      if (options.secret === undefined) {
        throwsWith(() => needsRehash(BCRYPT_PASSWORD, options), 'ERR_INVALID_OPTION', message)
      }
    }
    await rejectsWith(verifyPassword(BCRYPT_PASSWORD, 'pw', { secret: '' }), 'ERR_INVALID_OPTION', 'secret must not be empty')
  })

  test('empty passwords: ERR_PASSWORD_EMPTY for hashing and verifying', async () => {
    const hash = await hashPassword('x', FAST)
    await rejectsWith(hashPassword(''), 'ERR_PASSWORD_EMPTY', 'Password is empty')
    await rejectsWith(verifyPassword(hash, ''), 'ERR_PASSWORD_EMPTY', 'Password is empty')
    await rejectsWith(verifyPassword(BCRYPT_PASSWORD, ''), 'ERR_PASSWORD_EMPTY', 'Password is empty')
    await rejectsWith(verifyPasswordOrDummy(null, ''), 'ERR_PASSWORD_EMPTY', 'Password is empty')
  })

  test('passwords over 4096 UTF-8 bytes: ERR_PASSWORD_TOO_LARGE; 4096 bytes work', async () => {
    const max = 'a'.repeat(4092) + '😀' // 4096 bytes, 4094 UTF-16 units
    const hash = await hashPassword(max, FAST)
    assert.equal(await verifyPassword(hash, max), true)
    const message = 'Password is larger than the 4096 byte limit'
    for (const big of ['a'.repeat(4097), '€'.repeat(1366), 'a'.repeat(10_000_000)]) {
      await rejectsWith(hashPassword(big, FAST), 'ERR_PASSWORD_TOO_LARGE', message)
      await rejectsWith(verifyPassword(hash, big), 'ERR_PASSWORD_TOO_LARGE', message)
      await rejectsWith(verifyPassword(BCRYPT_PASSWORD, big), 'ERR_PASSWORD_TOO_LARGE', message)
      await rejectsWith(verifyPasswordOrDummy(null, big), 'ERR_PASSWORD_TOO_LARGE', message)
      throwsWith(() => hashPasswordSync(big, FAST), 'ERR_PASSWORD_TOO_LARGE', message)
    }
  })

  test('malformed hashes reject with ERR_PASSWORD_HASH_INVALID and a reason', async () => {
    const cases = [
      ['', 'it is empty'],
      ['plaintext-password', /neither a PHC string/],
      ['$', /neither a PHC string/],
      ['argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g', /neither a PHC string/],
      ['$argon2id', 'it has no parameters'],
      ['$argon2id$v=19$m=1024,t=1,p=1', 'it has no salt'],
      ['$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ', 'it has no hash'],
      ['$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g$x', 'it has too many "$"-separated fields'],
      ['$argon2id$v=1x$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g', 'v="1x" is not a valid number'],
      ['$argon2id$v=19$m=01024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g', 'm="01024" is not a valid number'],
      ['$argon2id$v=19$m=99999999999,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g', 'm="99999999999" is not a valid number'],
      ['$argon2id$v=19$m=1024,p=1$c29tZXNhbHQ$aGFzaGhhc2g', 'parameters must include m=<KiB>, t=<passes> and p=<lanes> (missing "t")'],
      ['$argon2id$v=19$m=1024,t=1,m=1024,p=1$c29tZXNhbHQ$aGFzaGhhc2g', '"m" appears twice'],
      ['$argon2id$v=19$m=1024,t,p=1$c29tZXNhbHQ$aGFzaGhhc2g', 'parameter "t" is not name=value'],
      ['$argon2id$v=19$m=1024,t=1,p=1,x=1$c29tZXNhbHQ$aGFzaGhhc2g', 'unknown parameter "x"'],
      ['$argon2id$v=19$m=1024,t=0,p=1$c29tZXNhbHQ$aGFzaGhhc2g', /needs t >= 1/],
      ['$argon2id$v=19$m=7,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g', /m >= 8 \* p/],
      ['$argon2id$v=19$m=1024,t=1,p=1$c29tZX!hbHQ$aGFzaGhhc2g', 'the salt is not valid base64'],
      ['$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ=$aGFzaGhhc2g', 'the salt is not valid base64'],
      ['$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaGhhc2g', 'the salt is 4 bytes; 8 to 48 are accepted'],
      ['$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGE', 'the hash is 2 bytes; 4 to 64 are accepted'],
      ['$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFz-Ghhc2g', 'the hash is not valid base64'],
      ['$2b$10$tooShort', 'a bcrypt hash is 60 characters, this one is 15'],
      ['$2b$1a$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie', 'the bcrypt cost must be two digits followed by "$"'],
      ['$2b$03$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie', 'bcrypt cost 3 is outside 4 to 31'],
      ['$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxci+', "the bcrypt salt and hash must be in bcrypt's base64 alphabet"],
      ['$2c$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie', 'it is not a bcrypt hash'],
      ['$argon2id$' + 'A'.repeat(600), 'it is longer than 512 characters'],
    ]
    for (const [hash, reason] of cases) {
      const message = reason instanceof RegExp ? reason : `Password hash is malformed: ${reason}`
      await rejectsWith(verifyPassword(hash, 'password'), 'ERR_PASSWORD_HASH_INVALID', message)
      await rejectsWith(verifyPasswordOrDummy(hash, 'password'), 'ERR_PASSWORD_HASH_INVALID', message)
      throwsWith(() => needsRehash(hash), 'ERR_PASSWORD_HASH_INVALID')
    }
  })

  test('unsupported schemes reject with ERR_PASSWORD_HASH_UNSUPPORTED', async () => {
    const cases = [
      ['$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E', 'unknown algorithm "scrypt"'],
      ['$pbkdf2-sha256$29000$N2bsnXMOIYTCmFMK.z/LKQ$Nkb6e5AbpV2FmgjVfSn9bsIGZ5k4Wi4YhD8.1CQhAyo', 'unknown algorithm "pbkdf2-sha256"'],
      ['$1$saltsalt$qjXMvbEw8oaL.CzflDugX/', 'unknown algorithm "1"'],
      ['$argon2x$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g', 'unknown algorithm "argon2x"'],
      ['$argon2id$v=20$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g', 'Argon2 version 20 (only 16 and 19 exist)'],
      ['$argon2id$v=19$m=1024,t=1,p=1,keyid=AQID$c29tZXNhbHQ$aGFzaGhhc2g', 'the "keyid" parameter (pass the secret itself)'],
      ['$2x$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie', "$2x$ marks hashes made with crypt_blowfish's sign-extension bug"],
    ]
    for (const [hash, reason] of cases) {
      await rejectsWith(verifyPassword(hash, 'password'), 'ERR_PASSWORD_HASH_UNSUPPORTED', `Password hash is not supported: ${reason}`)
      throwsWith(() => needsRehash(hash), 'ERR_PASSWORD_HASH_UNSUPPORTED')
    }
  })

  test('absurd stored costs reject with ERR_PASSWORD_HASH_TOO_COSTLY without being queued or run', async () => {
    const cases = [
      ['$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g', 'm=4194304 is above the limit of 262144'],
      ['$argon2id$v=19$m=4294967295,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g', 'm=4294967295 is above the limit of 262144'],
      ['$argon2id$v=19$m=1024,t=5000,p=1$c29tZXNhbHQ$aGFzaGhhc2g', 't=5000 is above the limit of 16'],
      ['$argon2id$v=19$m=65536,t=1,p=4096$c29tZXNhbHQ$aGFzaGhhc2g', 'p=4096 is above the limit of 16'],
      ['$2b$31$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie', 'bcrypt cost 31 is above the limit of 16'],
    ]
    // Fill every pool thread with a slow hash: a rejection that arrives before any of them
    // finishes was decided on the spot, not queued behind them (nor run).
    let slowDone = false
    const slow = Promise.all(Array.from({ length: 4 }, () => hashPassword('slow', SLOW))).then(() => {
      slowDone = true
    })
    for (const [hash, reason] of cases) {
      await rejectsWith(verifyPassword(hash, 'password'), 'ERR_PASSWORD_HASH_TOO_COSTLY', `Password hash parameters exceed the limits: ${reason}`)
      throwsWith(() => needsRehash(hash), 'ERR_PASSWORD_HASH_TOO_COSTLY')
    }
    await rejectsWith(verifyPassword('not a hash', 'password'), 'ERR_PASSWORD_HASH_INVALID')
    await rejectsWith(hashPassword(''), 'ERR_PASSWORD_EMPTY')
    assert.equal(slowDone, false, 'the refusals waited for the pool')
    await slow
    // The limits themselves are accepted.
    assert.equal(needsRehash('$argon2id$v=19$m=262144,t=16,p=16$c29tZXNhbHRzb21lc2FsdA$ZHVtbXlkdW1teWR1bW15ZHVtbXlkdW1teWR1bW15ZHU'), false)
    assert.equal(needsRehash('$2b$16$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie'), true)
  })
})

describe('bcrypt', () => {
  test('$2a$, $2b$ and $2y$ hashes verify', async () => {
    for (const [hash, password] of [
      ['$2a$04$UuTkLRZZ6QofpDOlMz32MuuxEHA43WOemOYHPz6.SjsVsyO1tDU96', 'password'],
      [BCRYPT_PASSWORD, 'correctbatteryhorsestapler'],
      [BCRYPT_PASSWORD.replace('$2b$', '$2y$'), 'correctbatteryhorsestapler'],
      [BCRYPT_PASSWORD.replace('$2b$', '$2a$'), 'correctbatteryhorsestapler'],
    ]) {
      assert.equal(await verifyPassword(hash, password), true, hash)
      assert.equal(await verifyPassword(hash, password + '!'), false, hash)
      assert.equal(needsRehash(hash), true)
    }
  })

  test('the 72-byte rule: a longer password never matches on its first 72 bytes; it rejects with ERR_PASSWORD_BCRYPT_TOO_LONG', async () => {
    // Python's bcrypt.hashpw(b"x" * 100, ...): bcrypt kept only the first 72 bytes.
    const hash = '$2a$05$......................YgIDy4hFBdVlc/6LHnD9mX488r9cLd2'
    assert.equal(await verifyPassword(hash, 'x'.repeat(72)), true, 'exactly 72 bytes is checked whole')
    assert.equal(await verifyPassword(hash, 'x'.repeat(71)), false)
    const message = 'Password is longer than 72 bytes, which a bcrypt hash cannot check without truncating it'
    for (const long of ['x'.repeat(73), 'x'.repeat(100), 'x'.repeat(72) + 'y', '€'.repeat(24) + 'x']) {
      await rejectsWith(verifyPassword(hash, long), 'ERR_PASSWORD_BCRYPT_TOO_LONG', message)
      await rejectsWith(verifyPasswordOrDummy(hash, long), 'ERR_PASSWORD_BCRYPT_TOO_LONG', message)
    }
    // Argon2 has no such limit.
    const argon = await hashPassword('x'.repeat(100), FAST)
    assert.equal(await verifyPassword(argon, 'x'.repeat(100)), true)
    assert.equal(await verifyPassword(argon, 'x'.repeat(72)), false)
  })
})

describe('needsRehash', () => {
  const phc = (id, v, m, t, p) => `$${id}$v=${v}$m=${m},t=${t},p=${p}$c29tZXNhbHRzb21lc2FsdA$ZHVtbXlkdW1teWR1bW15ZHVtbXlkdW1teWR1bW15ZHU`

  test('false at or above the target costs; true below them, for other variants and versions, and for bcrypt', () => {
    assert.equal(needsRehash(phc('argon2id', 19, 19456, 2, 1)), false)
    assert.equal(needsRehash(phc('argon2id', 19, 65536, 3, 4)), false, 'stronger (node-argon2 defaults)')
    assert.equal(needsRehash(phc('argon2id', 19, 19456, 2, 4)), false, 'parallelism alone does not weaken')
    assert.equal(needsRehash(phc('argon2id', 19, 19455, 2, 1)), true)
    assert.equal(needsRehash(phc('argon2id', 19, 19456, 1, 1)), true)
    assert.equal(needsRehash(phc('argon2i', 19, 19456, 2, 1)), true)
    assert.equal(needsRehash(phc('argon2d', 19, 19456, 2, 1)), true)
    assert.equal(needsRehash(phc('argon2id', 16, 19456, 2, 1)), true)
    assert.equal(needsRehash(BCRYPT_PASSWORD), true)
  })

  test('options set the target', () => {
    const hash = phc('argon2id', 19, 19456, 2, 1)
    assert.equal(needsRehash(hash, { memoryCost: 65536 }), true)
    assert.equal(needsRehash(hash, { timeCost: 3 }), true)
    assert.equal(needsRehash(hash, { memoryCost: 1024, timeCost: 1 }), false)
    assert.equal(needsRehash(hash, { parallelism: 4, memoryCost: 19456 }), false)
  })

  test('a hash made with the current options needs no rehash; the upgrade flow works', async () => {
    const old = await hashPassword('pw', FAST)
    assert.equal(needsRehash(old, FAST), false)
    assert.equal(needsRehash(old), true)
    if ((await verifyPassword(old, 'pw')) && needsRehash(old)) {
      const upgraded = await hashPassword('pw')
      assert.equal(needsRehash(upgraded), false)
      assert.equal(await verifyPassword(upgraded, 'pw'), true)
    }
  })
})

describe('verifyPasswordOrDummy', () => {
  test('with a hash it is verifyPassword; with null or undefined it resolves false', async () => {
    const hash = await hashPassword('pw', FAST)
    assert.equal(await verifyPasswordOrDummy(hash, 'pw'), true)
    assert.equal(await verifyPasswordOrDummy(hash, 'nope'), false)
    assert.equal(await verifyPasswordOrDummy(BCRYPT_PASSWORD, 'correctbatteryhorsestapler'), true)
    assert.equal(await verifyPasswordOrDummy(null, 'pw', FAST), false)
    assert.equal(await verifyPasswordOrDummy(undefined, 'pw', FAST), false)
    assert.equal(await verifyPasswordOrDummy(null, 'ferroauth-dummy!', FAST), false)
    assert.equal(await verifyPasswordOrDummy(null, 'pw', { ...FAST, secret: 'pepper' }), false)
  })

  test('an unknown user costs about what a real verification with the same costs does', async () => {
    const options = { memoryCost: 16384, timeCost: 2, parallelism: 1 }
    const hash = await hashPassword('pw', options)
    const real = []
    const dummy = []
    for (let i = 0; i < 7; i++) {
      let start = performance.now()
      await verifyPasswordOrDummy(hash, 'wrong password')
      real.push(performance.now() - start)
      start = performance.now()
      await verifyPasswordOrDummy(null, 'wrong password', options)
      dummy.push(performance.now() - start)
    }
    const ratio = median(dummy) / median(real)
    assert.ok(ratio > 0.4 && ratio < 2.5, `dummy ${median(dummy).toFixed(1)} ms vs real ${median(real).toFixed(1)} ms`)
    // And it really runs the costs it is given: 16x the memory takes longer than 1x.
    const small = []
    for (let i = 0; i < 5; i++) {
      const start = performance.now()
      await verifyPasswordOrDummy(null, 'wrong password', { memoryCost: 1024, timeCost: 2 })
      small.push(performance.now() - start)
    }
    assert.ok(median(small) < median(dummy), `m=1024: ${median(small).toFixed(1)} ms, m=16384: ${median(dummy).toFixed(1)} ms`)
  })
})

describe('AbortSignal', () => {
  test('an already aborted signal rejects with ERR_ABORTED, the reason as cause, before any work', async () => {
    const controller = new AbortController()
    const reason = new Error('client went away')
    controller.abort(reason)
    const error = await rejectsWith(hashPassword('pw', { signal: controller.signal }), 'ERR_ABORTED', 'The operation was aborted')
    assert.equal(error.cause, reason)
    await rejectsWith(verifyPassword(BCRYPT_PASSWORD, 'pw', { signal: controller.signal }), 'ERR_ABORTED')
    await rejectsWith(verifyPasswordOrDummy(null, 'pw', { signal: controller.signal }), 'ERR_ABORTED')
  })

  test('aborting rejects at once, even while the work is queued or running; other calls are unaffected', async () => {
    const controller = new AbortController()
    const busy = Array.from({ length: 4 }, () => hashPassword('busy', SLOW))
    const queued = Array.from({ length: 4 }, () => hashPassword('queued', { ...SLOW, signal: controller.signal }))
    const settledFirst = Promise.race([Promise.allSettled(queued).then(() => 'aborted'), Promise.all(busy).then(() => 'busy')])
    controller.abort()
    assert.equal(await settledFirst, 'aborted')
    for (const promise of queued) await rejectsWith(promise, 'ERR_ABORTED')
    const hashes = await Promise.all(busy)
    assert.equal(hashes.length, 4)
    assert.equal(await verifyPassword(hashes[0], 'busy'), true)
    // The pool is free again: queued work was cancelled, not left to run.
    assert.equal(await verifyPassword(await hashPassword('after', FAST), 'after'), true)
  })

  test('a signal keeps its own onabort handler and gets no listener left behind', async () => {
    const controller = new AbortController()
    let called = 0
    controller.signal.onabort = () => called++
    // The handler above is the one listener before and after.
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1)
    const hash = await hashPassword('pw', { ...FAST, signal: controller.signal })
    assert.equal(await verifyPassword(hash, 'pw', { signal: controller.signal }), true)
    assert.equal(await verifyPasswordOrDummy(null, 'pw', { ...FAST, signal: controller.signal }), false)
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1)
    controller.abort()
    assert.equal(called, 1)
  })

  test('a signal-like object (a polyfill, another realm) works too', async () => {
    const { EventEmitter } = require('node:events')
    const emitter = new EventEmitter()
    const signal = {
      aborted: false,
      reason: undefined,
      addEventListener: (type, listener) => emitter.on(type, listener),
      removeEventListener: (type, listener) => emitter.off(type, listener),
    }
    const pending = hashPassword('pw', { ...SLOW, signal })
    signal.aborted = true
    signal.reason = 'gone'
    emitter.emit('abort')
    const error = await rejectsWith(pending, 'ERR_ABORTED')
    assert.equal(error.cause, 'gone')
    assert.equal(emitter.listenerCount('abort'), 0)
    const hash = await hashPassword('pw', { ...FAST, signal: { ...signal, aborted: false } })
    assert.equal(await verifyPassword(hash, 'pw'), true)
  })

  test('AbortSignal.timeout works as a deadline', async () => {
    const error = await rejectsWith(hashPassword('pw', { ...SLOW, signal: AbortSignal.timeout(5) }), 'ERR_ABORTED')
    assert.equal(error.cause.name, 'TimeoutError')
  })
})

describe('the event loop', () => {
  test('is not blocked while 16 hashes run (max loop delay far below one hash)', async (t) => {
    const options = { memoryCost: 65536, timeCost: 3, parallelism: 1 }
    // Every pool thread hashes once first, so the first-use allocation of each thread's
    // Argon2 memory (page faults that contend with the main thread in the kernel) is not
    // what gets measured.
    await Promise.all(Array.from({ length: 8 }, () => hashPassword('warm-up', options)))
    // One hash's duration on this machine, as the yardstick (no absolute thresholds), then
    // the largest event-loop delay while 16 hashes run. Other processes on a shared machine
    // can delay the main thread by chance, so a measurement that misses gets two more tries;
    // hashing on the main thread would miss every time (each hash would hold the loop for
    // a whole hash duration).
    let oneHash
    let maxDelay
    for (let attempt = 1; attempt <= 3; attempt++) {
      const single = []
      for (let i = 0; i < 3; i++) {
        const start = performance.now()
        await hashPassword('yardstick', options)
        single.push(performance.now() - start)
      }
      oneHash = median(single)

      const histogram = monitorEventLoopDelay({ resolution: 1 })
      histogram.enable()
      const hashes = await Promise.all(Array.from({ length: 16 }, (_, i) => hashPassword(`user-${i}`, options)))
      histogram.disable()
      maxDelay = histogram.max / 1e6
      assert.equal(hashes.length, 16)
      t.diagnostic(`attempt ${attempt}: one hash ${oneHash.toFixed(1)} ms; max event-loop delay during 16 hashes ${maxDelay.toFixed(1)} ms`)
      if (maxDelay < oneHash / 2) break
    }
    assert.ok(maxDelay < oneHash / 2, `max event-loop delay ${maxDelay.toFixed(1)} ms while one hash takes ${oneHash.toFixed(1)} ms`)

    // The measurement can see blocking: two synchronous hashes hold the loop for about two hash durations.
    const blocked = monitorEventLoopDelay({ resolution: 1 })
    blocked.enable()
    await new Promise((resolve) => setTimeout(resolve, 5))
    hashPasswordSync('sync-1', options)
    hashPasswordSync('sync-2', options)
    await new Promise((resolve) => setTimeout(resolve, 5))
    blocked.disable()
    assert.ok(blocked.max / 1e6 > oneHash, `sync hashing showed only ${(blocked.max / 1e6).toFixed(1)} ms of delay`)
  })
})

describe('checkPasswordPolicy', () => {
  const REFERENCE = 'Password must be 8+ chars, 1 uppercase, 1 number, 1 special char.'

  test("the default is the reference backend's rule, with its message", () => {
    assert.deepEqual(checkPasswordPolicy('Passw0rd!'), { ok: true, errors: [] })
    assert.deepEqual(checkPasswordPolicy('PASSW0RD!'), { ok: true, errors: [] }, 'lowercase is not required')
    assert.deepEqual(checkPasswordPolicy('short'), {
      ok: false,
      errors: [
        { code: 'ERR_PASSWORD_TOO_SHORT', message: 'Password must be at least 8 characters long' },
        { code: 'ERR_PASSWORD_NO_UPPERCASE', message: 'Password must contain at least one uppercase letter' },
        { code: 'ERR_PASSWORD_NO_DIGIT', message: 'Password must contain at least one number' },
        { code: 'ERR_PASSWORD_NO_SYMBOL', message: 'Password must contain at least one special character' },
      ],
      message: REFERENCE,
    })
    const codes = (password, policy) => checkPasswordPolicy(password, policy).errors.map((e) => e.code)
    assert.deepEqual(codes('password1!'), ['ERR_PASSWORD_NO_UPPERCASE'])
    assert.deepEqual(codes('Password!'), ['ERR_PASSWORD_NO_DIGIT'])
    assert.deepEqual(codes('Password1'), ['ERR_PASSWORD_NO_SYMBOL'])
    assert.deepEqual(codes('Pa1!'), ['ERR_PASSWORD_TOO_SHORT'])
    assert.deepEqual(codes(''), ['ERR_PASSWORD_TOO_SHORT', 'ERR_PASSWORD_NO_UPPERCASE', 'ERR_PASSWORD_NO_DIGIT', 'ERR_PASSWORD_NO_SYMBOL'])
  })

  test('characters are Unicode characters: lengths count code points, classes follow Unicode', () => {
    assert.equal(checkPasswordPolicy('Éclair٣ x').ok, true, 'É uppercase, ٣ a digit, space a special character')
    assert.equal(checkPasswordPolicy('Ü1!😀😀😀😀😀').ok, true, 'eight characters, though eleven UTF-16 units')
    assert.deepEqual(checkPasswordPolicy('Ü1!😀😀😀😀').errors.map((e) => e.code), ['ERR_PASSWORD_TOO_SHORT'])
    assert.deepEqual(checkPasswordPolicy('Password1\u0007').errors.map((e) => e.code), ['ERR_PASSWORD_NO_SYMBOL'])
  })

  test('every rule is configurable, and the message describes the policy', () => {
    const strict = { minLength: 12, maxLength: 64, requireLowercase: true }
    assert.deepEqual(checkPasswordPolicy('PASSWORD1234!', strict), {
      ok: false,
      errors: [{ code: 'ERR_PASSWORD_NO_LOWERCASE', message: 'Password must contain at least one lowercase letter' }],
      message: 'Password must be 12-64 chars, 1 uppercase, 1 lowercase, 1 number, 1 special char.',
    })
    assert.deepEqual(checkPasswordPolicy(`Aa1!${'x'.repeat(61)}`, strict).errors, [
      { code: 'ERR_PASSWORD_TOO_LONG', message: 'Password must be at most 64 characters long' },
    ])
    const lax = { minLength: 4, requireUppercase: false, requireDigit: false, requireSymbol: false }
    assert.deepEqual(checkPasswordPolicy('abcd', lax), { ok: true, errors: [] })
    assert.equal(checkPasswordPolicy('abc', lax).message, 'Password must be 4+ chars.')
  })

  test('the hashing limit always applies (ERR_PASSWORD_TOO_LARGE)', () => {
    assert.deepEqual(checkPasswordPolicy(`A1!${'a'.repeat(4094)}`).errors, [
      { code: 'ERR_PASSWORD_TOO_LARGE', message: 'Password is larger than the 4096 byte limit' },
    ])
  })

  test('bad policies: TypeError for wrong types, ERR_INVALID_OPTION for impossible values', () => {
    throwsTypeError(() => checkPasswordPolicy('x', 'strict'), /^policy must be an object, got string$/)
    throwsTypeError(() => checkPasswordPolicy('x', { minLength: '8' }), /^policy\.minLength must be an integer, got string$/)
    throwsTypeError(() => checkPasswordPolicy('x', { maxLength: 8.5 }), /^policy\.maxLength must be an integer/)
    throwsTypeError(() => checkPasswordPolicy('x', { requireDigit: 1 }), /^policy\.requireDigit must be a boolean, got number$/)
    throwsWith(() => checkPasswordPolicy('x', { minLength: 0 }), 'ERR_INVALID_OPTION', 'minLength must be at least 1')
    throwsWith(() => checkPasswordPolicy('x', { minLength: -5 }), 'ERR_INVALID_OPTION', 'minLength must be at least 1')
    throwsWith(() => checkPasswordPolicy('x', { minLength: 10, maxLength: 9 }), 'ERR_INVALID_OPTION', 'maxLength (9) must not be less than minLength (10)')
  })
})

test('every password error code is in ErrorCodes', () => {
  for (const code of [
    'ERR_PASSWORD_EMPTY',
    'ERR_PASSWORD_TOO_LARGE',
    'ERR_PASSWORD_BCRYPT_TOO_LONG',
    'ERR_PASSWORD_HASH_INVALID',
    'ERR_PASSWORD_HASH_UNSUPPORTED',
    'ERR_PASSWORD_HASH_TOO_COSTLY',
    'ERR_ABORTED',
    'ERR_PASSWORD_TOO_SHORT',
    'ERR_PASSWORD_TOO_LONG',
    'ERR_PASSWORD_NO_UPPERCASE',
    'ERR_PASSWORD_NO_LOWERCASE',
    'ERR_PASSWORD_NO_DIGIT',
    'ERR_PASSWORD_NO_SYMBOL',
  ]) {
    assert.equal(ErrorCodes[code], code)
  }
})
