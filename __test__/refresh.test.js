'use strict'

// Refresh tokens: one suite of behaviour run against each store (memory, one real Redis
// server, a real three-node Redis Cluster), then what only Redis has: several managers and
// processes on one server, the server dying mid-run and coming back, what is stored.

const { test, describe, before, after } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const zlib = require('node:zlib')
const path = require('node:path')
const { execFile, spawn, execFileSync } = require('node:child_process')
const { promisify } = require('node:util')

const {
  RefreshTokenManager,
  MemoryStore,
  RedisStore,
  createRefreshToken,
  hashRefreshToken,
  FerroAuthError,
} = require('..')
const { startRedis } = require('./helpers/redis.js')
const { storesUnderTest } = require('./helpers/stores.js')
const { rejectsWith } = require('./helpers/rejects.js')
const { startLossyProxy } = require('./helpers/lossy-proxy.js')

const redisCli = () => process.env.REDIS_CLI || execFileSync('sh', ['-c', 'command -v redis-cli'], { encoding: 'utf8' }).trim()
const TOKEN = /^frt_[A-Za-z0-9_-]{92}$/
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const b64url = (bytes) => Buffer.from(bytes).toString('base64url')
const sha256 = (text) => b64url(crypto.createHash('sha256').update(text).digest())

/** A token with its checksum recomputed after `edit` changed the body: well-formed, forged. */
function reforge(token, edit) {
  const body = Buffer.from(token.slice(4, 90), 'base64url')
  edit(body)
  const signed = 'frt_' + b64url(body)
  const checksum = Buffer.alloc(4)
  checksum.writeUInt32BE(zlib.crc32(signed))
  return signed + b64url(checksum)
}

const { servers, stores } = storesUnderTest()

for (const [kind, makeStore] of Object.entries(stores)) {
  describe(`refresh tokens on the ${kind} store`, () => {
    const manager = (options = {}) => new RefreshTokenManager({ store: makeStore(), ...options })

    test('issue and rotate: a new token each time, same family, the old one stops working', async () => {
      const m = manager()
      const before = Date.now()
      const issued = await m.issue('user-1')
      assert.match(issued.token, TOKEN)
      assert.match(issued.familyId, /^[A-Za-z0-9_-]{32}$/)
      assert.ok(issued.expiresAt instanceof Date)
      const lifetime = issued.expiresAt.getTime() - before
      assert.ok(lifetime > 7 * 86400e3 - 2000 && lifetime <= 7 * 86400e3, `7 days, got ${lifetime} ms`)

      const first = await m.rotate(issued.token)
      assert.match(first.token, TOKEN)
      assert.notEqual(first.token, issued.token)
      assert.equal(first.userId, 'user-1')
      assert.equal(first.familyId, issued.familyId)
      const second = await m.rotate(first.token)
      assert.equal(second.familyId, issued.familyId)
      assert.equal(second.expiresAt.getTime(), issued.expiresAt.getTime())
    })

    test('a rotated token presented again is theft: the family is revoked, successor included', async () => {
      const m = manager()
      const issued = await m.issue('user-1')
      const next = await m.rotate(issued.token)
      const error = await rejectsWith(m.rotate(issued.token), 'ERR_REFRESH_REUSED')
      assert.match(error.message, /already used/)
      await rejectsWith(m.rotate(next.token), 'ERR_REFRESH_REVOKED')
      await rejectsWith(m.rotate(issued.token), 'ERR_REFRESH_REVOKED')
      assert.deepEqual(await m.listSessions('user-1'), [])
    })

    test('reuseGrace: the previous token gets the same successor once, within the window', async () => {
      const m = manager({ reuseGrace: 5 })
      const issued = await m.issue('user-1')
      const next = await m.rotate(issued.token)
      const retried = await m.rotate(issued.token)
      assert.equal(retried.token, next.token)
      assert.equal(retried.familyId, next.familyId)
      assert.equal(retried.expiresAt.getTime(), next.expiresAt.getTime())
      await rejectsWith(m.rotate(issued.token), 'ERR_REFRESH_REUSED')
      await rejectsWith(m.rotate(next.token), 'ERR_REFRESH_REVOKED')
    })

    test('reuseGrace: after the window the previous token is reuse', async () => {
      const m = manager({ reuseGrace: 1 })
      const issued = await m.issue('user-1')
      const next = await m.rotate(issued.token)
      await sleep(1100)
      await rejectsWith(m.rotate(issued.token), 'ERR_REFRESH_REUSED')
      await rejectsWith(m.rotate(next.token), 'ERR_REFRESH_REVOKED')
    })

    test('reuseGrace: a token two rotations old is reuse even within the window', async () => {
      const m = manager({ reuseGrace: 30 })
      const t0 = await m.issue('user-1')
      const t1 = await m.rotate(t0.token)
      const t2 = await m.rotate(t1.token)
      await rejectsWith(m.rotate(t0.token), 'ERR_REFRESH_REUSED')
      await rejectsWith(m.rotate(t2.token), 'ERR_REFRESH_REVOKED')
    })

    test('revoke(token) ends that session only; a second revoke and garbage say so', async () => {
      const m = manager()
      const a = await m.issue('user-1')
      const b = await m.issue('user-1')
      assert.equal(await m.revoke(a.token), true)
      assert.equal(await m.revoke(a.token), false)
      await rejectsWith(m.rotate(a.token), 'ERR_REFRESH_REVOKED')
      assert.ok(await m.rotate(b.token))
      // A well-formed token of a real family that was never issued revokes nothing.
      const c = await m.issue('user-1')
      const forged = reforge(c.token, (body) => crypto.randomFillSync(body, 32))
      assert.equal(await m.revoke(forged), false)
      await rejectsWith(m.rotate(forged), 'ERR_REFRESH_INVALID')
      assert.ok(await m.rotate(c.token))
      await rejectsWith(m.revoke('frt_nope'), 'ERR_REFRESH_INVALID')
    })

    test('revoke with a spent token still ends the session (logout from a stale tab)', async () => {
      const m = manager()
      const issued = await m.issue('user-1')
      const next = await m.rotate(issued.token)
      assert.equal(await m.revoke(issued.token), true)
      await rejectsWith(m.rotate(next.token), 'ERR_REFRESH_REVOKED')
    })

    test('revokeFamily and revokeAllForUser, other users untouched', async () => {
      const m = manager()
      const one = await m.issue('alice')
      const two = await m.issue('alice')
      const three = await m.issue('alice')
      const bob = await m.issue('bob')
      assert.equal(await m.revokeFamily(one.familyId), true)
      assert.equal(await m.revokeFamily(one.familyId), false)
      await rejectsWith(m.rotate(one.token), 'ERR_REFRESH_REVOKED')
      assert.equal(await m.revokeAllForUser('alice'), 2)
      assert.equal(await m.revokeAllForUser('alice'), 0)
      await rejectsWith(m.rotate(two.token), 'ERR_REFRESH_REVOKED')
      await rejectsWith(m.rotate(three.token), 'ERR_REFRESH_REVOKED')
      assert.ok(await m.rotate(bob.token))
      assert.equal((await m.listSessions('bob')).length, 1)
      await rejectsWith(m.revokeFamily('not-a-family'), 'ERR_INVALID_OPTION')
      assert.equal(await m.revokeFamily('A'.repeat(32)), false)
    })

    test('listSessions: context from an object or a request, most recently used first', async () => {
      const m = manager()
      const laptop = await m.issue('carol', { userAgent: 'Firefox', ip: '203.0.113.7' })
      const phone = await m.issue('carol', { headers: { 'user-agent': 'Safari' }, ip: '198.51.100.2' })
      const script = await m.issue('carol', { headers: {}, socket: { remoteAddress: '::1' } })
      await sleep(5)
      await m.rotate(laptop.token, { userAgent: 'Firefox 2' })
      const sessions = await m.listSessions('carol')
      const rows = sessions.map((s) => [s.familyId, s.userAgent, s.ip])
      assert.deepEqual(rows[0], [laptop.familyId, 'Firefox 2', '203.0.113.7'])
      const byId = (x, y) => (x[0] < y[0] ? -1 : 1)
      assert.deepEqual(rows.slice(1).sort(byId), [
        [phone.familyId, 'Safari', '198.51.100.2'],
        [script.familyId, null, '::1'],
      ].sort(byId))
      for (let i = 1; i < sessions.length; i++) assert.ok(sessions[i - 1].lastUsedAt >= sessions[i].lastUsedAt)
      const [first] = sessions
      assert.equal(first.userId, 'carol')
      for (const key of ['createdAt', 'lastUsedAt', 'expiresAt', 'idleExpiresAt']) assert.ok(first[key] instanceof Date, key)
      assert.ok(first.lastUsedAt > first.createdAt)
      assert.equal(first.expiresAt.getTime(), laptop.expiresAt.getTime())
      assert.deepEqual(await m.listSessions('nobody'), [])
      // Numbers are user ids too, the same as their string form.
      const numeric = await m.issue(42)
      assert.deepEqual((await m.listSessions('42')).map((s) => s.familyId), [numeric.familyId])
    })

    test('expiry: ttl ends the session, idleTtl ends an unused token sooner', async () => {
      const m = manager({ ttl: 1 })
      const issued = await m.issue('dave')
      await sleep(1100)
      await rejectsWith(m.rotate(issued.token), 'ERR_REFRESH_EXPIRED')
      assert.deepEqual(await m.listSessions('dave'), [])

      const idle = manager({ ttl: '1h', idleTtl: 1 })
      const t = await idle.issue('dave')
      assert.ok(t.expiresAt.getTime() - Date.now() <= 1000)
      const next = await idle.rotate(t.token)
      assert.ok(next.expiresAt.getTime() >= t.expiresAt.getTime())
      const [session] = await idle.listSessions('dave')
      assert.ok(session.idleExpiresAt < session.expiresAt)
      await sleep(1100)
      await rejectsWith(idle.rotate(next.token), 'ERR_REFRESH_EXPIRED')
      assert.deepEqual(await idle.listSessions('dave'), [])
    })

    test('forged and garbage tokens are refused with ERR_REFRESH_INVALID', async () => {
      const m = manager()
      const { token } = await m.issue('erin')
      const flipped = token.slice(0, 40) + (token[40] === 'A' ? 'B' : 'A') + token.slice(41)
      const cases = [
        'x'.repeat(96),
        'frt_' + token.slice(4, 95),
        token + 'A',
        token.toUpperCase(),
        flipped, // checksum mismatch
        'frt_' + '*'.repeat(92),
        // Checksum recomputed over a later expiry: well-formed, but not what was stored.
        reforge(token, (body) => body.writeUInt32BE(body.readUInt32BE(28) + 86400, 28)),
        // Another secret in the same family.
        reforge(token, (body) => crypto.randomFillSync(body, 32)),
        // A family that does not exist.
        reforge(token, (body) => crypto.randomFillSync(body, 8, 16)),
      ]
      for (const bad of cases) await rejectsWith(m.rotate(bad), 'ERR_REFRESH_INVALID')
      for (const missing of [undefined, null, '']) {
        const error = await rejectsWith(m.rotate(missing), 'ERR_REFRESH_INVALID')
        assert.equal(error.message, 'Refresh token is missing')
      }
      // None of that harmed the real session.
      assert.ok(await m.rotate(token))
    })

    test('64 concurrent rotations of one token: exactly one succeeds', async () => {
      const m = manager()
      const { token } = await m.issue('frank')
      const results = await Promise.allSettled(Array.from({ length: 64 }, () => m.rotate(token)))
      const ok = results.filter((r) => r.status === 'fulfilled')
      assert.equal(ok.length, 1)
      const codes = results.filter((r) => r.status === 'rejected').map((r) => r.reason.code)
      assert.equal(codes.filter((c) => c === 'ERR_REFRESH_REUSED').length, 1)
      assert.ok(codes.every((c) => c === 'ERR_REFRESH_REUSED' || c === 'ERR_REFRESH_REVOKED'), codes.join())
      // The late callers exposed the race as reuse, so the winner's token died too.
      await rejectsWith(m.rotate(ok[0].value.token), 'ERR_REFRESH_REVOKED')
    })

    test('a manager with another secret does not accept the tokens', async () => {
      const store = makeStore()
      const a = new RefreshTokenManager({ store, secret: 'one' })
      const b = new RefreshTokenManager({ store, secret: Buffer.from('two') })
      const issued = await a.issue('gina')
      await rejectsWith(b.rotate(issued.token), 'ERR_REFRESH_INVALID')
      assert.ok(await a.rotate(issued.token))
    })

    test('arguments of the wrong type are TypeErrors, bad values coded errors', async () => {
      const m = manager()
      for (const userId of [undefined, null, '', 1.5, {}, ['a']]) {
        await assert.rejects(m.issue(userId), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
      }
      await rejectsWith(m.issue('x'.repeat(257)), 'ERR_INVALID_OPTION')
      await assert.rejects(m.rotate(42), { name: 'TypeError' })
      await assert.rejects(m.issue('u', 'ua'), { name: 'TypeError' })
      await assert.rejects(m.issue('u', { userAgent: 5 }), { name: 'TypeError' })
      await assert.rejects(m.revokeFamily(5), { name: 'TypeError' })
    })
  })
}

describe('manager construction', () => {
  test('refuses bad options with codes', () => {
    const store = new MemoryStore()
    assert.throws(() => new RefreshTokenManager(), { name: 'TypeError' })
    assert.throws(() => new RefreshTokenManager({}), { name: 'TypeError', message: /options\.store must be a MemoryStore or a RedisStore/ })
    assert.throws(() => new RefreshTokenManager({ store: {} }), { name: 'TypeError' })
    assert.throws(() => new RefreshTokenManager({ store, ttl: true }), { name: 'TypeError' })
    for (const options of [{ ttl: 0 }, { ttl: 'forever' }, { ttl: -5 }, { idleTtl: '8d' }, { reuseGrace: '8d' }, { secret: '' }]) {
      assert.throws(() => new RefreshTokenManager({ store, ...options }), { name: 'FerroAuthError', code: 'ERR_INVALID_OPTION' }, JSON.stringify(options))
    }
    assert.equal(new RefreshTokenManager({ store }).ttl, 7 * 86400)
    assert.equal(new RefreshTokenManager({ store, ttl: '30m' }).ttl, 1800)
  })

  test('RedisStore options', () => {
    assert.throws(() => new RedisStore({ url: 'http://example.com' }), { code: 'ERR_INVALID_OPTION' })
    assert.throws(() => new RedisStore({ url: 5 }), { name: 'TypeError' })
    assert.throws(() => new RedisStore({ cluster: [] }), { name: 'TypeError' })
    assert.throws(() => new RedisStore({ url: 'redis://a', cluster: ['redis://b'] }), { code: 'ERR_INVALID_OPTION' })
    assert.throws(() => new RedisStore({ commandTimeout: 0 }), { code: 'ERR_INVALID_OPTION' })
    assert.throws(() => new RedisStore('redis://x'), { name: 'TypeError' })
  })
})

describe('tokens kept in an app database', () => {
  test('createRefreshToken and hashRefreshToken agree, SHA-256 or HMAC-SHA-256', () => {
    const { token, hash, expiresAt } = createRefreshToken()
    assert.match(token, TOKEN)
    assert.equal(hash, sha256(token))
    assert.equal(hashRefreshToken(token), hash)
    assert.ok(Math.abs(expiresAt.getTime() - Date.now() - 7 * 86400e3) < 2000)

    const keyed = createRefreshToken({ ttl: '1h', secret: 'pepper' })
    const hmac = b64url(crypto.createHmac('sha256', 'pepper').update(keyed.token).digest())
    assert.equal(keyed.hash, hmac)
    assert.equal(hashRefreshToken(keyed.token, { secret: 'pepper' }), hmac)
    assert.notEqual(hashRefreshToken(keyed.token), hmac)
    assert.notEqual(createRefreshToken().token, createRefreshToken().token)
  })

  test('garbage is refused before any look-up', () => {
    const { token } = createRefreshToken()
    for (const bad of ['', 'frt_x', token.slice(0, 95) + (token[95] === 'A' ? 'B' : 'A')]) {
      assert.throws(() => hashRefreshToken(bad), { code: 'ERR_REFRESH_INVALID' })
    }
    assert.throws(() => hashRefreshToken(5), { name: 'TypeError' })
    assert.throws(() => createRefreshToken({ ttl: 0 }), { code: 'ERR_INVALID_OPTION' })
    assert.throws(() => createRefreshToken({ secret: 5 }), { name: 'TypeError' })
  })

  test('a manager stores the same hash an app would compute', async () => {
    const m = new RefreshTokenManager({ store: new MemoryStore(), secret: 'k' })
    const { token } = await m.issue('u')
    assert.equal(m.hashToken(token), hashRefreshToken(token, { secret: 'k' }))
  })
})

describe('Redis specifics', () => {
  test('only hashes are stored, every key expires, keys share the user hash tag', async () => {
    const prefix = `keys${crypto.randomUUID()}:`
    const m = new RefreshTokenManager({ store: new RedisStore({ url: servers.redis.url, keyPrefix: prefix }), ttl: '1h' })
    const issued = await m.issue('henry', { userAgent: 'curl/8' })
    const next = await m.rotate(issued.token)
    const keys = servers.redis.cli('--scan', '--pattern', `${prefix}*`).trim().split('\n').sort()
    assert.equal(keys.length, 3, keys.join())
    const tags = new Set(keys.map((k) => k.match(/\{([0-9a-f]{16})\}/)[1]))
    assert.equal(tags.size, 1)
    const dump = keys.map((k) => servers.redis.cli('--no-raw', 'DUMP', k)).join('\n') + keys.map((k) => {
      const type = servers.redis.cli('TYPE', k).trim()
      return type === 'hash' ? servers.redis.cli('HGETALL', k) : servers.redis.cli('SMEMBERS', k)
    }).join('\n')
    for (const token of [issued.token, next.token]) {
      assert.ok(!dump.includes(token.slice(48, 90)), 'a token secret is stored in clear')
    }
    assert.ok(dump.includes(sha256(next.token)))
    for (const key of keys) {
      const ttl = Number(servers.redis.cli('PTTL', key).trim())
      assert.ok(ttl > 3_500_000 && ttl <= 3_600_000, `${key} PTTL ${ttl}`)
    }
  })

  test('one round trip per operation: what the server sees from clients (MONITOR)', async () => {
    const store = new RedisStore({ url: servers.redis.url, keyPrefix: `rt${crypto.randomUUID()}:` })
    const m = new RefreshTokenManager({ store })
    let { token } = await m.issue('ivy') // loads the scripts if needed
    ;({ token } = await m.rotate(token))
    const monitor = spawn(redisCli(), ['-h', '127.0.0.1', '-p', String(servers.redis.port), 'MONITOR'])
    let seen = ''
    monitor.stdout.on('data', (chunk) => (seen += chunk))
    await new Promise((resolve) => monitor.stdout.once('data', resolve)) // "OK"
    const marker = `marker-${crypto.randomUUID()}`
    for (let i = 0; i < 10; i++) ({ token } = await m.rotate(token))
    const sessions = await m.listSessions('ivy')
    assert.equal(await m.revokeAllForUser('ivy'), 1)
    servers.redis.cli('ECHO', marker)
    const deadline = Date.now() + 5000
    while (!seen.includes(marker) && Date.now() < deadline) await sleep(10)
    monitor.kill()
    assert.equal(sessions.length, 1)
    // Client commands are logged with the client's address; commands a script runs, with "lua".
    const fromClients = seen.split('\n').filter((line) => /^\d+\.\d+ \[\d+ 127\.0\.0\.1:\d+\]/.test(line) && !line.includes(marker))
    assert.equal(fromClients.length, 12, fromClients.join('\n'))
    assert.ok(fromClients.every((line) => line.includes('"EVALSHA"') || line.includes('"evalsha"')), fromClients.join('\n'))
    assert.ok(seen.includes('[0 lua]'), 'the scripts ran on the server')
  })

  test('two managers on one Redis see the same sessions; one of them wins a race', async () => {
    const keyPrefix = `shared${crypto.randomUUID()}:`
    const a = new RefreshTokenManager({ store: new RedisStore({ url: servers.redis.url, keyPrefix }) })
    const b = new RefreshTokenManager({ store: new RedisStore({ url: servers.redis.url, keyPrefix }) })
    const issued = await a.issue('jack')
    const next = await b.rotate(issued.token)
    await rejectsWith(a.rotate(issued.token), 'ERR_REFRESH_REUSED')
    await rejectsWith(b.rotate(next.token), 'ERR_REFRESH_REVOKED')

    const { token } = await a.issue('jack')
    const results = await Promise.allSettled(Array.from({ length: 32 }, (_, i) => (i % 2 ? a : b).rotate(token)))
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
  })

  test('two processes racing on one token: exactly one rotation succeeds', async () => {
    const keyPrefix = `procs${crypto.randomUUID()}:`
    const m = new RefreshTokenManager({ store: new RedisStore({ url: servers.redis.url, keyPrefix }) })
    const { token } = await m.issue('kate')
    const child = path.join(__dirname, 'helpers', 'rotate-many.js')
    const run = () => promisify(execFile)(process.execPath, [child, servers.redis.url, keyPrefix, token, '32'])
    const outputs = await Promise.all([run(), run()])
    const tallies = outputs.map(({ stdout }) => JSON.parse(stdout))
    assert.equal(tallies.reduce((n, t) => n + t.ok, 0), 1, JSON.stringify(tallies))
    assert.equal(tallies.reduce((n, t) => n + t.ok + t.reused + t.revoked, 0), 64, JSON.stringify(tallies))
  })

  test('Redis down: calls reject with ERR_STORE_UNAVAILABLE within the bound, then recover', async () => {
    const server = await startRedis()
    try {
      const store = new RedisStore({ url: server.url, commandTimeout: '300ms', connectTimeout: '200ms' })
      const m = new RefreshTokenManager({ store })
      const { token } = await m.issue('liam')
      await server.kill()
      const started = Date.now()
      const results = await Promise.allSettled([m.rotate(token), m.issue('liam'), m.listSessions('liam'), store.ping()])
      const elapsed = Date.now() - started
      for (const r of results) {
        assert.equal(r.status, 'rejected')
        assert.equal(r.reason.code, 'ERR_STORE_UNAVAILABLE', r.reason.message)
      }
      assert.ok(elapsed < 3000, `took ${elapsed} ms`)
      await server.restart()
      // Reconnects by itself; the restarted server has no data (no persistence in tests).
      let issued
      for (let attempt = 0; attempt < 50 && !issued; attempt++) {
        issued = await m.issue('liam').catch(async (e) => {
          assert.equal(e.code, 'ERR_STORE_UNAVAILABLE')
          await sleep(100)
        })
      }
      assert.ok(issued, 'no recovery after the restart')
      assert.ok(await m.rotate(issued.token))
    } finally {
      await server.stop()
    }
  })

  test('an answer lost with its connection: the same call is sent again and nothing is lost', async () => {
    const proxy = await startLossyProxy({ host: '127.0.0.1', port: servers.redis.port })
    try {
      const m = new RefreshTokenManager({ store: new RedisStore({ url: proxy.url, keyPrefix: `lossy${crypto.randomUUID()}:` }) })
      const issued = await m.issue('olga') // connected, scripts loaded
      // The server rotates, the answer is lost: without the retry the client would hold only
      // a spent token, and its next refresh would revoke the session as reuse.
      proxy.loseNextAnswer()
      const rotated = await m.rotate(issued.token)
      assert.equal(proxy.lost, 1)
      assert.match(rotated.token, TOKEN)
      assert.equal(rotated.userId, 'olga')
      const next = await m.rotate(rotated.token)
      assert.equal(next.familyId, issued.familyId)
      await rejectsWith(m.rotate(issued.token), 'ERR_REFRESH_REUSED')

      // issue() too: one session, not two, and its token works.
      proxy.loseNextAnswer()
      const again = await m.issue('pia')
      assert.equal(proxy.lost, 2)
      assert.equal((await m.listSessions('pia')).length, 1)
      assert.ok(await m.rotate(again.token))
    } finally {
      await proxy.stop()
    }
  })

  test('a server that never answered: the first call fails in bounded time, no crash', async () => {
    const store = new RedisStore({ url: 'redis://127.0.0.1:1', commandTimeout: 0.3, connectTimeout: 0.2 })
    const m = new RefreshTokenManager({ store })
    const started = Date.now()
    await rejectsWith(m.issue('mia'), 'ERR_STORE_UNAVAILABLE')
    await rejectsWith(store.ping(), 'ERR_STORE_UNAVAILABLE')
    assert.ok(Date.now() - started < 3000)
  })

  test('a key of another type under the prefix is a coded store failure', async () => {
    const keyPrefix = `clash${crypto.randomUUID()}:`
    const m = new RefreshTokenManager({ store: new RedisStore({ url: servers.redis.url, keyPrefix }) })
    const { token } = await m.issue('noah')
    const familyKey = servers.redis.cli('--scan', '--pattern', `${keyPrefix}*:f:*`).trim()
    assert.match(familyKey, /:f:/)
    servers.redis.cli('DEL', familyKey)
    servers.redis.cli('SET', familyKey, 'not a hash')
    const error = await rejectsWith(m.rotate(token), 'ERR_STORE_FAILED')
    assert.match(error.message, /WRONGTYPE|wrong kind/i)
  })
})
