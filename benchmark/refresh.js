'use strict'

/*
 * Refresh-token rotation: ferroauth's RefreshTokenManager against the approach it replaces, in one run.
 *
 *   node benchmark/refresh.js                  full run (about 1.5 minutes on 2 cores)
 *   node benchmark/refresh.js --quick          short smoke run (numbers are rough)
 *   node benchmark/refresh.js --markdown       also print the Markdown tables for README.md
 *   node benchmark/refresh.js --update-readme  also replace the tables between the
 *                                              <!-- bench:refresh:start --> / <!-- bench:refresh:end --> markers
 *   node benchmark/refresh.js --json FILE      also write the raw results as JSON
 *
 * ferroauth `issue` and `rotate` on a MemoryStore and on a RedisStore (a redis-server of its own
 * on a free loopback port), one call at a time and with 64 calls in flight on independent
 * sessions, against the reference NestJS service (section 4 of the refresh-rotation setup):
 * refresh tokens stored as bcrypt hashes (cost 10), a refresh loading the user's valid tokens and
 * bcrypt-comparing each until one matches, kept in arrays in memory or in Redis through ioredis,
 * with 1 and 5 sessions per user. Also: Redis round trips per operation (INFO around an untimed
 * batch) and the ceiling, the EVALSHA throughput of redis-benchmark on the same server. Before
 * anything is timed, both implementations must rotate a token, refuse the spent one and refuse garbage.
 */

const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const { RefreshTokenManager, MemoryStore, RedisStore } = require('..')
const bcrypt = require('bcrypt')
const Redis = require('ioredis')

const { startRedis } = require('../__test__/helpers/redis.js')
const { machineLine, publish } = require('./lib/report.js')
const { parseBenchArgs } = require('./lib/args.js')
const { sequential, concurrent } = require('./lib/timing.js')

// ---------------------------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  return parseBenchArgs(argv, __filename)
}

// ---------------------------------------------------------------------------------------------
// The fixture

const CONCURRENCY = 64
const BCRYPT_COST = 10
const SESSIONS_PER_USER = [1, 5]
const TTL_DAYS = 7
const DAY_MS = 24 * 60 * 60 * 1000
// Both implementations record the client of every session, as the reference does.
const CONTEXT = Object.freeze({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', ip: '203.0.113.7' })
// `issue` goes to users 1..LOGIN_USERS; rotation fixtures get fresh users above them, so the
// reference's candidate lists hold exactly the sessions the fixture made.
const LOGIN_USERS = 1000
let nextFixtureUser = 1_000_000

const SETTINGS = {
  full: { rounds: 3, seconds: 0.5, samples: 50, referenceSamples: 7, referenceInFlight: CONCURRENCY, batch: 1000, referenceBatch: 3, benchmarkRequests: 40_000, sequentialRequests: 10_000 },
  quick: { rounds: 1, seconds: 0.15, samples: 20, referenceSamples: 3, referenceInFlight: 8, batch: 200, referenceBatch: 1, benchmarkRequests: 10_000, sequentialRequests: 3_000 },
}

/** A small seeded generator, so every run picks the same sessions in the same order. */
function random(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

class Unauthorized extends Error {}

// ---------------------------------------------------------------------------------------------
// ferroauth: the public API, one manager per store

function ferroauthImplementation(store) {
  const manager = new RefreshTokenManager({ store, ttl: `${TTL_DAYS}d` })
  return {
    issue: async (userId) => ({ userId, token: (await manager.issue(userId, CONTEXT)).token }),
    rotate: async (session) => {
      session.token = (await manager.rotate(session.token, CONTEXT)).token
    },
    /** A rotation fixture: `count` sessions of one user. */
    seed: async (userId, count) => {
      const sessions = []
      for (let i = 0; i < count; i++) sessions.push({ userId, token: (await manager.issue(userId, CONTEXT)).token })
      return sessions
    },
  }
}

// ---------------------------------------------------------------------------------------------
// The reference: section 4 of nestjs-refresh-rotation-setup.md (AuthService), with its two
// TypeORM repositories replaced by arrays in memory or by Redis hashes. Access-token signing,
// which both do alike, is left out of both.

/** The tables as arrays: users by id, and each user's refresh-token rows (the foreign-key index). */
class ArrayRepository {
  users = new Map()
  tokens = new Map()
  #lastId = 0

  async saveUser(user) {
    this.users.set(user.id, user)
  }

  async findUser(id) {
    return this.users.get(id) ?? null
  }

  /** `find({ where: { user, revoked: false, expiresAt: MoreThan(now) }, order: { id: 'DESC' } })` */
  async findValidTokens(userId, now) {
    return (this.tokens.get(userId) ?? []).filter((t) => !t.revoked && t.expiresAt > now).sort((a, b) => b.id - a.id)
  }

  /** `save(row)`: an update when the row has an id, else an insert that assigns one. */
  async saveToken(row) {
    if (row.id !== undefined) {
      const rows = this.tokens.get(row.userId)
      rows[rows.findIndex((t) => t.id === row.id)] = { ...row }
      return row
    }
    row.id = ++this.#lastId
    if (!this.tokens.has(row.userId)) this.tokens.set(row.userId, [])
    this.tokens.get(row.userId).push({ ...row })
    return row
  }
}

/**
 * The same tables in Redis, one command (one round trip) per repository call except the insert,
 * whose id comes from INCR as an auto-increment column would: a hash per user, a hash per user's
 * refresh-token rows (field = row id, value = the row as JSON; revoked rows stay, as in the table).
 */
class RedisRepository {
  #redis
  #prefix

  constructor(redis, prefix) {
    this.#redis = redis
    this.#prefix = prefix
  }

  async saveUser(user) {
    await this.#redis.hset(`${this.#prefix}user:${user.id}`, { id: user.id, email: user.email })
  }

  async findUser(id) {
    const user = await this.#redis.hgetall(`${this.#prefix}user:${id}`)
    return user.id === undefined ? null : { id: Number(user.id), email: user.email }
  }

  async findValidTokens(userId, now) {
    const rows = (await this.#redis.hvals(`${this.#prefix}rt:${userId}`)).map((json) => JSON.parse(json))
    return rows.filter((t) => !t.revoked && t.expiresAt > now).sort((a, b) => b.id - a.id)
  }

  async saveToken(row) {
    if (row.id === undefined) row.id = await this.#redis.incr(`${this.#prefix}rt:id`)
    await this.#redis.hset(`${this.#prefix}rt:${row.userId}`, String(row.id), JSON.stringify(row))
    return row
  }
}

/** AuthService's mintRefreshToken and refreshUsingCookie over a repository; counts bcrypt calls. */
function referenceImplementation(repository) {
  const counts = { bcrypt: 0 }
  const newRow = (user, hash, ctx) => ({
    userId: user.id,
    tokenHash: hash,
    expiresAt: Date.now() + TTL_DAYS * DAY_MS,
    revoked: false,
    replacedByTokenHash: null,
    userAgent: ctx?.userAgent,
    ip: ctx?.ip,
    createdAt: Date.now(),
  })

  async function mintRefreshToken(user, ctx) {
    const raw = crypto.randomBytes(64).toString('hex') // opaque random
    const hash = await bcrypt.hash(raw, BCRYPT_COST)
    counts.bcrypt++
    await repository.saveToken(newRow(user, hash, ctx))
    return { raw, hash }
  }

  async function findMatchingToken(raw, records) {
    for (const rec of records) {
      counts.bcrypt++
      if (await bcrypt.compare(raw, rec.tokenHash)) return rec
    }
    return null
  }

  async function refreshUsingCookie(userId, rawTokenFromCookie, ctx) {
    const user = await repository.findUser(userId)
    if (!user) throw new Unauthorized()
    const candidates = await repository.findValidTokens(userId, Date.now())
    const match = await findMatchingToken(rawTokenFromCookie, candidates)
    if (!match) throw new Unauthorized('Invalid refresh token')
    // ROTATE: revoke old, mint new
    match.revoked = true
    const newRaw = crypto.randomBytes(64).toString('hex')
    const newHash = await bcrypt.hash(newRaw, BCRYPT_COST)
    counts.bcrypt++
    match.replacedByTokenHash = newHash
    await repository.saveToken(match)
    await repository.saveToken(newRow(user, newHash, ctx))
    return { newRefreshRaw: newRaw }
  }

  return {
    counts,
    repository,
    refreshUsingCookie,
    issue: async (userId) => ({ userId, token: (await mintRefreshToken({ id: userId }, CONTEXT)).raw }),
    rotate: async (session) => {
      session.token = (await refreshUsingCookie(session.userId, session.token, CONTEXT)).newRefreshRaw
    },
    /** A rotation fixture from pre-made bcrypt hashes (the rows mintRefreshToken would write). */
    seed: async (userId, count, pool) => {
      await repository.saveUser({ id: userId, email: `user${userId}@example.com` })
      const sessions = []
      for (let i = 0; i < count; i++) {
        const { raw, hash } = pool.next()
        await repository.saveToken(newRow({ id: userId }, hash, CONTEXT))
        sessions.push({ userId, token: raw })
      }
      return sessions
    },
  }
}

/** A raw token and its bcrypt hash, as mintRefreshToken makes them. */
async function mintPair() {
  const raw = crypto.randomBytes(64).toString('hex')
  return { raw, hash: await bcrypt.hash(raw, BCRYPT_COST) }
}

/** Pre-made pairs for the reference's fixtures, made in parallel and shared by both stores. */
async function hashPool(size) {
  const pairs = await Promise.all(Array.from({ length: size }, mintPair))
  let i = 0
  return { next: () => pairs[i++ % pairs.length] }
}

/** The reference with pairs made on demand for its fixtures (for the checks, which are few). */
function withFreshPairs(implementation) {
  return {
    ...implementation,
    seed: async (userId, count) => {
      const pairs = []
      for (let i = 0; i < count; i++) pairs.push(await mintPair())
      return implementation.seed(userId, count, { next: () => pairs.shift() })
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Agreement: each implementation rotates, refuses the spent token and refuses garbage

async function rejects(promise) {
  try {
    await promise
  } catch (error) {
    return error
  }
  return null
}

/** The token with its last characters changed (for ferroauth: a checksum that no longer matches). */
const garbageLike = (token) => token.slice(0, -6) + (token.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA')

async function agree(name, implementation, log) {
  const userId = nextFixtureUser++
  const [session] = await implementation.seed(userId, 1)
  const first = session.token
  await implementation.rotate(session)
  const second = session.token
  if (second === first) throw new Error(`${name}: rotate returned the presented token`)
  await implementation.rotate(session)
  const spent = await rejects(implementation.rotate({ userId, token: first }))
  if (!spent) throw new Error(`${name}: a spent token was accepted`)
  if (spent.code !== undefined && spent.code !== 'ERR_REFRESH_REUSED') throw new Error(`${name}: a spent token gave ${spent.code}, not ERR_REFRESH_REUSED`)
  const garbage = await rejects(implementation.rotate({ userId, token: garbageLike(first) }))
  if (!garbage) throw new Error(`${name}: a garbage token was accepted`)
  log(`${name}: rotates, refuses the spent token (${spent.code ?? spent.message}) and garbage (${garbage.code ?? garbage.message})`)
}

// ---------------------------------------------------------------------------------------------
// Timing

/**
 * Issue, then rotation of chains with 1 and 5 sessions per user: each session is issued once and
 * rotated over and over, each rotation presenting the token the previous one returned. One at a
 * time, a seeded random session of the fixture; in flight, lane i rotates session i, so no two
 * calls ever present the same token.
 */
async function measure(implementation, { seconds, samples, inFlight, pool }, log, label) {
  const results = {}
  let login = 0
  const loginUser = () => 1 + (login++ % LOGIN_USERS)
  const pick = random(42)
  const bcryptCalls = () => implementation.counts?.bcrypt ?? 0

  const issue = await sequential(() => implementation.issue(loginUser()), { seconds, samples })
  const issueInFlight = await concurrent(() => implementation.issue(loginUser()), inFlight, { seconds })
  results.issue = { latency: issue.latency, opsPerSec: issue.opsPerSec, throughput: issueInFlight.opsPerSec, cpuPerCall: issueInFlight.cpuPerCall }
  log(`  ${label} issue: ${formatLatency(results.issue.latency)}, ${formatOps(results.issue.throughput)} ops/s`)

  for (const perUser of SESSIONS_PER_USER) {
    const users = Math.ceil(inFlight / perUser)
    const sessions = []
    for (let u = 0; u < users; u++) sessions.push(...(await implementation.seed(nextFixtureUser++, perUser, pool)))
    // Interleave the users' sessions, so that lanes next to each other work on different users.
    const lanes = Array.from({ length: inFlight }, (_, i) => sessions[(i % users) * perUser + Math.floor(i / users)])
    const operation = rotateOperation(perUser)
    const before = bcryptCalls()
    const one = await sequential(() => implementation.rotate(sessions[Math.floor(pick() * sessions.length)]), { seconds, samples })
    const many = await concurrent((lane) => implementation.rotate(lanes[lane]), inFlight, { seconds })
    results[operation] = { latency: one.latency, opsPerSec: one.opsPerSec, throughput: many.opsPerSec, cpuPerCall: many.cpuPerCall }
    // The reference's bcrypt calls per rotation: the compares until the match, plus the new hash.
    if (implementation.counts) results[operation].bcryptPerOp = (bcryptCalls() - before) / (one.count + many.calls)
    log(`  ${label} ${operation}: ${formatLatency(one.latency)}, ${formatOps(many.opsPerSec)} ops/s`)
  }
  return results
}

const rotateOperation = (perUser) => `rotate, ${perUser} session${perUser > 1 ? 's' : ''} per user`

// ---------------------------------------------------------------------------------------------
// Redis: round trips per operation, and the EVALSHA ceiling

/** The command counters (INFO commandstats) and socket reads (INFO stats) of the server. */
async function redisCounters(probe) {
  const text = await probe.info('all')
  const commands = {}
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) commands[m[1]] = Number(m[2])
  return { commands, reads: Number(/^total_reads_processed:(\d+)/m.exec(text)[1]) }
}

const SCRIPT_COMMANDS = ['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']

/**
 * Redis round trips and commands per call of `fn`, over `count` calls made one at a time:
 * `total_reads_processed` counts the requests the server read (one per round trip when nothing
 * is pipelined), `INFO commandstats` counts every command, those run by a script included.
 * The probe's own INFO is measured on an empty interval first and taken off.
 */
async function roundTrips(probe, fn, count) {
  const empty = [await redisCounters(probe), await redisCounters(probe)]
  const before = await redisCounters(probe)
  for (let i = 0; i < count; i++) await fn()
  const after = await redisCounters(probe)
  const own = (key) => (empty[1].commands[key] ?? 0) - (empty[0].commands[key] ?? 0)
  const commands = {}
  for (const [name, calls] of Object.entries(after.commands)) {
    const delta = calls - (before.commands[name] ?? 0) - own(name)
    if (delta > 0 && name !== 'info') commands[name] = delta / count
  }
  const reads = (after.reads - before.reads - (empty[1].reads - empty[0].reads)) / count
  const scripted = SCRIPT_COMMANDS.reduce((sum, name) => sum + (commands[name] ?? 0), 0)
  // When every round trip was a script call, the other commands ran inside the scripts.
  const insideScripts = scripted > 0 && Math.abs(reads - scripted) < 0.05
  return { roundTrips: reads, commands, insideScripts }
}

function describeCommands({ commands, insideScripts }) {
  const list = (names) => names.map((n) => `${n.toUpperCase()}${commands[n] === 1 ? '' : ` ×${formatCount(commands[n])}`}`).join(', ')
  const names = Object.keys(commands).sort((a, b) => commands[b] - commands[a] || a.localeCompare(b))
  if (!insideScripts) return list(names)
  const scripts = names.filter((n) => SCRIPT_COMMANDS.includes(n))
  const inner = names.filter((n) => !SCRIPT_COMMANDS.includes(n))
  return `${list(scripts)}${inner.length ? ` (inside the script: ${list(inner)})` : ''}`
}

// Comparable scripts for the ceiling: a trivial read-and-write, and one with the commands of
// ferroauth's rotate (src/store/lua/rotate.lua, its success path) on keys of the same shape.
const CEILING_SCRIPTS = {
  'HGET + HSET script': {
    source: "local v = redis.call('HGET', KEYS[1], 'cur') redis.call('HSET', KEYS[1], 'cur', ARGV[1]) return v",
    keys: ['bench:{ceiling}:f:1', 'bench:{ceiling}:s:1'],
    args: [crypto.randomBytes(32).toString('base64url')],
  },
  'rotate-shaped script': {
    source: [
      "local f = redis.call('HMGET', KEYS[1], 'uid', 'cur', 'prev', 'rot', 'next', 'exp', 'rev')",
      "redis.call('SADD', KEYS[2], ARGV[1])",
      "redis.call('PEXPIREAT', KEYS[2], ARGV[3])",
      "redis.call('HSET', KEYS[1], 'cur', ARGV[2], 'prev', ARGV[1], 'rot', ARGV[3], 'next', '', 'used', ARGV[3], 'texp', ARGV[3])",
      "return {'rotated', f[1] or '', ARGV[3]}",
    ].join('\n'),
    keys: ['bench:{ceiling}:f:2', 'bench:{ceiling}:s:2'],
    args: [crypto.randomBytes(32).toString('base64url'), crypto.randomBytes(32).toString('base64url'), String(Date.now() + TTL_DAYS * DAY_MS)],
  },
}

function executable(name, envName) {
  if (process.env[envName]) return process.env[envName]
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name)
    try {
      fs.accessSync(candidate, fs.constants.X_OK)
      return candidate
    } catch {}
  }
  throw new Error(`${name} not found on PATH (set ${envName}, or install it: apt-get install redis-tools)`)
}

/** redis-benchmark's requests per second for EVALSHA of one script, `clients` connections, no pipelining. */
function redisBenchmark(redis, script, { clients, requests }) {
  const out = execFileSync(
    executable('redis-benchmark', 'REDIS_BENCHMARK'),
    ['-h', redis.host, '-p', String(redis.port), '-n', String(requests), '-c', String(clients), '-P', '1', '--csv',
      'evalsha', script.sha, String(script.keys.length), ...script.keys, ...script.args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const row = out.split('\n').find((line) => /^"evalsha /i.test(line))
  if (!row) throw new Error(`unexpected redis-benchmark output:\n${out}`)
  return Number(JSON.parse(`[${row}]`)[1])
}

// ---------------------------------------------------------------------------------------------
// Reporting

function describeMachine(redisVersion) {
  return machineLine({
    peers: ['bcrypt', 'ioredis'],
    details: [`libuv pool ${process.env.UV_THREADPOOL_SIZE ?? 4} threads`, `redis-server ${redisVersion} on loopback`],
  })
}

const formatLatency = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`)
const formatOps = (value) => (value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US'))
const formatRatio = (value) => `${value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(value >= 10 ? 1 : 2)}×`
const formatCount = (value) => (Number.isInteger(value) ? String(value) : value.toFixed(2))
const formatPercent = (value) => `${(value * 100).toFixed(0)} %`

const STORES = [
  { key: 'memory', title: 'in memory', ferroauth: 'ferroauth (MemoryStore)', reference: 'reference (arrays)' },
  { key: 'redis', title: 'Redis', ferroauth: 'ferroauth (RedisStore)', reference: 'reference (ioredis)' },
]

/** One row per (store, operation, implementation), ferroauth's first. */
function rows(results) {
  const out = []
  for (const store of STORES) {
    const own = results.ferroauth[store.key]
    const reference = results.reference[store.key]
    for (const operation of Object.keys(own)) {
      const trips = results.roundTrips[store.key]?.[operation]
      const mine = own[operation]
      const theirs = reference[operation]
      out.push({ store: store.title, operation, implementation: store.ferroauth, own: true, ...mine, roundTrips: trips?.ferroauth })
      const bcryptCalls = theirs.bcryptPerOp ?? 1
      out.push({
        store: store.title,
        operation,
        implementation: `${store.reference}, ${formatCount(Math.round(bcryptCalls * 100) / 100)} bcrypt per op`,
        own: false,
        ...theirs,
        roundTrips: trips?.reference,
        latencyRatio: theirs.latency / mine.latency,
        throughputRatio: mine.throughput / theirs.throughput,
      })
    }
  }
  return out
}

function ceilingRows(results) {
  const own = results.ferroauth.redis[rotateOperation(1)]
  const out = Object.entries(results.ceiling).map(([name, c]) => ({
    name,
    ...c,
    sequentialShare: own.opsPerSec / c.sequential,
    throughputShare: own.throughput / c.throughput,
  }))
  out.push({ name: 'ferroauth rotate (RedisStore, 1 session per user)', own: true, sequential: own.opsPerSec, throughput: own.throughput })
  return out
}

function consoleTable(results, settings) {
  const lines = []
  let current
  for (const r of rows(results)) {
    const group = `${r.store}: ${r.operation}`
    if (group !== current) {
      current = group
      lines.push('', group, `  ${'implementation'.padEnd(44)}${'one at a time'.padStart(14)}${`ops/s (${CONCURRENCY} in flight)`.padStart(22)}${'round trips'.padStart(13)}${'ferroauth speed-up'.padStart(22)}`)
    }
    const speedup = r.own ? '' : `${formatRatio(r.latencyRatio)} / ${formatRatio(r.throughputRatio)}`
    const trips = r.roundTrips ? formatCount(r.roundTrips.roundTrips) : ''
    const inFlight = r.own || settings.referenceInFlight === CONCURRENCY ? '' : ` (${settings.referenceInFlight})`
    lines.push(`  ${r.implementation.padEnd(44)}${formatLatency(r.latency).padStart(14)}${(formatOps(r.throughput) + inFlight).padStart(22)}${trips.padStart(13)}${speedup.padStart(22)}`)
  }
  lines.push('', 'Redis commands per op (INFO commandstats, one call at a time)')
  for (const [operation, byImplementation] of Object.entries(results.roundTrips.redis)) {
    for (const [implementation, trips] of Object.entries(byImplementation)) {
      const count = formatCount(trips.roundTrips)
      lines.push(`  ${`${implementation} ${operation}`.padEnd(44)}${count} round trip${count === '1' ? '' : 's'}: ${describeCommands(trips)}`)
    }
  }
  lines.push('', 'Redis EVALSHA ceiling (same server)', `  ${''.padEnd(54)}${'ops/s, 1 at a time'.padStart(20)}${`ops/s, ${CONCURRENCY} in flight`.padStart(20)}${'ferroauth share'.padStart(18)}`)
  for (const c of ceilingRows(results)) {
    const share = c.own ? '' : `${formatPercent(c.sequentialShare)} / ${formatPercent(c.throughputShare)}`
    lines.push(`  ${c.name.padEnd(54)}${formatOps(c.sequential).padStart(20)}${formatOps(c.throughput).padStart(20)}${share.padStart(18)}`)
  }
  lines.push('', overheadNote(results))
  return lines.slice(1).join('\n')
}

/**
 * Where the time of one Redis rotation goes: one at a time (means, 1 ÷ calls per second), and
 * the CPU this process spends per call with 64 in flight.
 */
function overheadNote(results) {
  const micros = (value) => `${value.toFixed(0)} µs`
  const operation = rotateOperation(1)
  const redis = results.ferroauth.redis[operation]
  const memory = results.ferroauth.memory[operation]
  const server = results.ceiling['redis-benchmark, rotate-shaped script']
  const node = results.ceiling['ioredis, rotate-shaped script']
  return (
    `Per call, one at a time (means): a ferroauth rotation takes ${micros(1e6 / redis.opsPerSec)} on Redis and ` +
    `${micros(1e6 / memory.opsPerSec)} on the MemoryStore; an EVALSHA of the rotate-shaped script takes ` +
    `${micros(1e6 / server.sequential)} from redis-benchmark and ${micros(1e6 / node.sequential)} from ioredis, so ferroauth's own ` +
    `cost beyond the Redis round trip is ${micros(1e6 / redis.opsPerSec - 1e6 / server.sequential)}. With ${CONCURRENCY} in flight, the ` +
    `Node process (the addon's threads included) spends ${micros(redis.cpuPerCall)} of CPU per rotation on Redis ` +
    `(${micros(memory.cpuPerCall)} on the MemoryStore), against ${micros(node.cpuPerCall)} per EVALSHA from ioredis.`
  )
}

function describeRun(settings, quick) {
  const ferroauthRounds = settings.rounds > 1 ? `best of ${settings.rounds} interleaved rounds` : 'one round'
  return `${ferroauthRounds} for ferroauth and the ceilings, one for the bcrypt reference${quick ? `, which keeps ${settings.referenceInFlight} calls in flight` : ''}`
}

function markdownTable(results, { machine, settings, quick }) {
  const lines = [
    `Measured with \`npm run bench:refresh\` (\`benchmark/refresh.js\`, ${describeRun(settings, quick)}) on ${machine}.${quick ? ' **Quick run: rough numbers.**' : ''}`,
    '',
    'The reference is the NestJS service of the refresh-rotation setup (section 4): bcrypt-hashed tokens (cost 10), a refresh loads the user\'s valid tokens (newest first) and bcrypt-compares each until one matches, then revokes it and stores a new hash; in arrays in memory or in Redis through ioredis. "bcrypt per op" counts the compares plus the new hash.',
    `Each session is issued once and rotated over and over. One at a time: median latency, random sessions; in flight: ${CONCURRENCY} calls on ${CONCURRENCY} independent sessions. Round trips: requests Redis read per call (\`total_reads_processed\`, one call at a time).`,
    'The speed-up columns are how many times faster ferroauth is (the reference\'s latency ÷ ferroauth\'s; ferroauth\'s ops/s ÷ the reference\'s).',
    '',
    `| Store | Operation | Implementation | one at a time | ops/s, ${CONCURRENCY} in flight | Redis round trips | speed-up (latency) | speed-up (throughput) |`,
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ]
  let currentStore
  let currentOperation
  for (const r of rows(results)) {
    const store = r.store !== currentStore ? r.store : ''
    const operation = store || r.operation !== currentOperation ? r.operation : ''
    currentStore = r.store
    currentOperation = r.operation
    const bold = (text) => (r.own && text ? `**${text}**` : text)
    const trips = r.roundTrips ? formatCount(r.roundTrips.roundTrips) : ''
    lines.push(
      `| ${store} | ${operation} | ${bold(r.implementation)} | ${bold(formatLatency(r.latency))} | ${bold(formatOps(r.throughput))} | ${bold(trips)} | ${r.own ? '' : formatRatio(r.latencyRatio)} | ${r.own ? '' : formatRatio(r.throughputRatio)} |`,
    )
  }
  const rotate = results.roundTrips.redis[rotateOperation(1)]
  lines.push(
    '',
    `Redis commands per rotation (INFO commandstats): ferroauth ${describeCommands(rotate.ferroauth)}; the reference ${describeCommands(rotate.reference)}.`,
    '',
    `The ceiling: EVALSHA of a comparable script on the same server, from redis-benchmark (C, no pipelining) and from ioredis; "ferroauth share" is ferroauth's rotate ops/s ÷ the row's.`,
    '',
    `| EVALSHA ceiling | ops/s, one at a time | ops/s, ${CONCURRENCY} in flight | ferroauth share (one at a time) | ferroauth share (${CONCURRENCY} in flight) |`,
    '| --- | ---: | ---: | ---: | ---: |',
  )
  for (const c of ceilingRows(results)) {
    const bold = (text) => (c.own ? `**${text}**` : text)
    lines.push(`| ${bold(c.name)} | ${bold(formatOps(c.sequential))} | ${bold(formatOps(c.throughput))} | ${c.own ? '' : formatPercent(c.sequentialShare)} | ${c.own ? '' : formatPercent(c.throughputShare)} |`)
  }
  lines.push('', overheadNote(results))
  return lines.join('\n')
}

/** The benchmark's goals: one round trip per rotation, ahead of the reference everywhere. */
function goals(results) {
  const verdict = (ok) => (ok ? 'met' : 'MISSED')
  const trips = results.roundTrips.redis[rotateOperation(1)].ferroauth.roundTrips
  const lines = [`Redis round trips per ferroauth rotate: ${formatCount(trips)} (goal: 1) -> ${verdict(Math.abs(trips - 1) < 0.05)}`]
  const behind = rows(results).filter((r) => !r.own && (r.latencyRatio <= 1 || r.throughputRatio <= 1))
  lines.push(`ferroauth ahead of the bcrypt reference in latency and throughput in every row -> ${verdict(behind.length === 0)}${behind.length ? ` (not in: ${behind.map((r) => `${r.store} ${r.operation}`).join('; ')})` : ''}`)
  return lines.join('\n')
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const log = (message) => process.stderr.write(`${message}\n`)
  const settings = args.quick ? SETTINGS.quick : SETTINGS.full

  const redis = await startRedis()
  const probe = new Redis({ host: redis.host, port: redis.port, lazyConnect: true })
  const client = new Redis({ host: redis.host, port: redis.port, lazyConnect: true })
  try {
    await probe.connect()
    await client.connect()
    const redisVersion = /^redis_version:(\S+)/m.exec(await probe.info('server'))[1]
    log(`redis-server ${redisVersion} on ${redis.url}`)

    const ferroauth = {
      memory: ferroauthImplementation(new MemoryStore()),
      redis: ferroauthImplementation(new RedisStore({ url: redis.url, keyPrefix: 'bench:ferroauth:' })),
    }
    const reference = {
      memory: referenceImplementation(new ArrayRepository()),
      redis: referenceImplementation(new RedisRepository(client, 'bench:reference:')),
    }

    // Agreement, which also warms up every path (the Lua scripts get loaded, bcrypt fills the pool).
    for (const store of STORES) {
      await agree(store.ferroauth, ferroauth[store.key], log)
      await agree(store.reference, withFreshPairs(reference[store.key]), log)
    }
    for (const implementation of Object.values(ferroauth)) {
      const sessions = await implementation.seed(nextFixtureUser++, 4)
      for (let i = 0; i < 500; i++) await implementation.rotate(sessions[i % 4])
    }

    // Round trips, one call at a time, on an otherwise idle server.
    const roundTripResults = { redis: {} }
    {
      const [own] = await ferroauth.redis.seed(nextFixtureUser++, 1)
      const theirs = await withFreshPairs(reference.redis).seed(nextFixtureUser++, 5)
      let login = 0
      roundTripResults.redis.issue = {
        ferroauth: await roundTrips(probe, () => ferroauth.redis.issue(1 + (login++ % LOGIN_USERS)), settings.batch),
        reference: await roundTrips(probe, () => reference.redis.issue(1 + (login++ % LOGIN_USERS)), settings.referenceBatch),
      }
      const trips = {
        ferroauth: await roundTrips(probe, () => ferroauth.redis.rotate(own), settings.batch),
        reference: await roundTrips(probe, () => reference.redis.rotate(theirs[0]), settings.referenceBatch),
      }
      for (const perUser of SESSIONS_PER_USER) roundTripResults.redis[rotateOperation(perUser)] = trips
      log(`round trips per rotate: ferroauth ${formatCount(trips.ferroauth.roundTrips)}, ${describeCommands(trips.ferroauth)}; reference ${formatCount(trips.reference.roundTrips)}, ${describeCommands(trips.reference)}`)
    }

    // The ceiling scripts, loaded once.
    for (const script of Object.values(CEILING_SCRIPTS)) script.sha = await probe.script('LOAD', script.source)
    const evalshaOf = (script) => () => client.evalsha(script.sha, script.keys.length, ...script.keys, ...script.args)
    for (const script of Object.values(CEILING_SCRIPTS)) {
      for (let i = 0; i < 2000; i++) await evalshaOf(script)()
    }

    const results = { ferroauth: { memory: {}, redis: {} }, reference: {}, ceiling: {}, roundTrips: roundTripResults }
    const keepBest = (into, measured) => {
      for (const [operation, r] of Object.entries(measured)) {
        const best = (into[operation] ??= { latency: Infinity, opsPerSec: 0, throughput: 0 })
        best.latency = Math.min(best.latency, r.latency)
        best.opsPerSec = Math.max(best.opsPerSec, r.opsPerSec)
        best.throughput = Math.max(best.throughput, r.throughput)
        best.cpuPerCall = Math.min(best.cpuPerCall ?? Infinity, r.cpuPerCall)
      }
    }
    const ferroauthTiming = { seconds: settings.seconds, samples: settings.samples, inFlight: CONCURRENCY }

    for (let round = 1; round <= settings.rounds; round++) {
      log(`round ${round}/${settings.rounds}`)
      // Rotate the order each round so no store always runs first.
      const order = round % 2 ? STORES : [...STORES].reverse()
      for (const store of order) keepBest(results.ferroauth[store.key], await measure(ferroauth[store.key], ferroauthTiming, log, store.ferroauth))

      const ceiling = {}
      for (const [name, script] of Object.entries(CEILING_SCRIPTS)) {
        ceiling[`redis-benchmark, ${name}`] = {
          sequential: redisBenchmark(redis, script, { clients: 1, requests: settings.sequentialRequests }),
          throughput: redisBenchmark(redis, script, { clients: CONCURRENCY, requests: settings.benchmarkRequests }),
        }
      }
      const rotateShaped = evalshaOf(CEILING_SCRIPTS['rotate-shaped script'])
      const one = await sequential(rotateShaped, { seconds: settings.seconds, samples: settings.samples })
      const many = await concurrent(rotateShaped, CONCURRENCY, { seconds: settings.seconds })
      ceiling['ioredis, rotate-shaped script'] = { sequential: one.opsPerSec, throughput: many.opsPerSec, cpuPerCall: many.cpuPerCall }
      for (const [name, c] of Object.entries(ceiling)) {
        const best = (results.ceiling[name] ??= { sequential: 0, throughput: 0 })
        best.sequential = Math.max(best.sequential, c.sequential)
        best.throughput = Math.max(best.throughput, c.throughput)
        if (c.cpuPerCall !== undefined) best.cpuPerCall = Math.min(best.cpuPerCall ?? Infinity, c.cpuPerCall)
        log(`  ${name}: ${formatOps(c.sequential)} ops/s one at a time, ${formatOps(c.throughput)} ops/s with ${CONCURRENCY} in flight`)
      }
    }

    log('bcrypt reference (one round)')
    const pool = await hashPool(settings.referenceInFlight + Math.ceil(settings.referenceInFlight / 5) * 5)
    const referenceTiming = { seconds: 0, samples: settings.referenceSamples, inFlight: settings.referenceInFlight, pool }
    for (const store of STORES) {
      const implementation = reference[store.key]
      results.reference[store.key] = await measure(implementation, referenceTiming, log, store.reference)
    }

    const machine = describeMachine(redisVersion)
    process.stdout.write(`${consoleTable(results, settings)}\n\n${goals(results)}\n\n${machine}\n`)
    publish(args, { name: 'refresh', json: { machine, settings, results }, markdown: () => markdownTable(results, { machine, settings, quick: args.quick }) })
  } finally {
    probe.disconnect()
    client.disconnect()
    await redis.stop()
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`)
  process.exit(1)
})
