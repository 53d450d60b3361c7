'use strict'

/*
 * Request idempotency: ferroauth's IdempotencyStore and requestFingerprint against what apps
 * write by hand today, in one run.
 *
 *   node benchmark/idempotency.js                  full run (about a minute on 2 cores)
 *   node benchmark/idempotency.js --quick          short smoke run (numbers are rough)
 *   node benchmark/idempotency.js --markdown       also print the Markdown table for README.md
 *   node benchmark/idempotency.js --update-readme  also replace the table between the
 *                                                  <!-- bench:idempotency:start --> / <!-- bench:idempotency:end --> markers
 *   node benchmark/idempotency.js --json FILE      also write the raw results as JSON
 *
 * Store: a request's round, `begin` then `complete` with a 200-byte JSON response, each round a
 * new key, on a MemoryStore and a RedisStore (a redis-server of its own on a free loopback port),
 * one round at a time and with 64 in flight; and a replay (`begin` of a completed key). Against
 * the usual hand-written ioredis code on the same server: `SET key pending NX PX`, on conflict
 * `GET` and parse the record, then `SET key response PX` (JSON, body base64). Fingerprint:
 * requestFingerprint against fast-json-stable-stringify + node:crypto SHA-256 of method, path
 * and body, for three body sizes. Both sides are checked to agree on what counts before timing.
 */

const crypto = require('node:crypto')

const { IdempotencyStore, MemoryStore, RedisStore, requestFingerprint } = require('..')
const Redis = require('ioredis')
const stableStringify = require('fast-json-stable-stringify')

const { startRedis } = require('../__test__/helpers/redis.js')
const { machineLine, publish } = require('./lib/report.js')
const { parseBenchArgs } = require('./lib/args.js')
const { sequential, concurrent, now } = require('./lib/timing.js')

const CONCURRENCY = 64
const TTL_MS = 10 * 60 * 1000
const SETTINGS = {
  full: { rounds: 3, seconds: 0.6, samples: 200 },
  quick: { rounds: 1, seconds: 0.15, samples: 50 },
}

const RESPONSE = Object.freeze({
  status: 201,
  headers: { 'content-type': 'application/json; charset=utf-8', etag: 'W/"c8-abc"', 'x-request-id': 'req-1234' },
  body: Buffer.from(JSON.stringify({ id: 'ord_1234567890', status: 'created', items: [{ sku: 'book-1', qty: 2 }], total: 4200, currency: 'EUR', note: 'x'.repeat(60) })),
})

// ---------------------------------------------------------------------------------------------
// Store rounds

function ferroauthStore(store) {
  const idem = new IdempotencyStore({ store, ttl: TTL_MS / 1000 })
  return {
    async round(key, fingerprint) {
      const begun = await idem.begin(key, fingerprint)
      if (begun.replay) throw new Error('expected a first request')
      await idem.complete(key, begun.lease, RESPONSE)
    },
    async replay(key, fingerprint) {
      const begun = await idem.begin(key, fingerprint)
      if (!begun.replay) throw new Error('expected a replay')
      return begun.response
    },
  }
}

/** The usual hand-written version: one JSON string per key, SET NX PX to claim it. */
function ioredisBaseline(client, prefix) {
  const keyOf = (key) => `${prefix}${crypto.createHash('sha256').update(key).digest('hex')}`
  async function begin(key, fingerprint) {
    const k = keyOf(key)
    const claimed = await client.set(k, JSON.stringify({ state: 'pending', fingerprint }), 'PX', TTL_MS, 'NX')
    if (claimed === 'OK') return { replay: false, key: k }
    const record = JSON.parse(await client.get(k))
    if (record.fingerprint !== fingerprint) throw new Error('mismatch')
    if (record.state === 'pending') throw new Error('in progress')
    return { replay: true, response: { status: record.status, headers: record.headers, body: Buffer.from(record.body, 'base64') } }
  }
  return {
    async round(key, fingerprint) {
      const begun = await begin(key, fingerprint)
      if (begun.replay) throw new Error('expected a first request')
      const { status, headers, body } = RESPONSE
      await client.set(begun.key, JSON.stringify({ state: 'done', fingerprint, status, headers, body: body.toString('base64') }), 'PX', TTL_MS)
    },
    async replay(key, fingerprint) {
      const begun = await begin(key, fingerprint)
      if (!begun.replay) throw new Error('expected a replay')
      return begun.response
    },
  }
}

async function agree(name, implementation) {
  const key = `agree-${crypto.randomUUID()}`
  await implementation.round(key, 'fp')
  const replayed = await implementation.replay(key, 'fp')
  if (replayed.status !== RESPONSE.status || !replayed.body.equals(RESPONSE.body) || replayed.headers.etag !== RESPONSE.headers.etag) {
    throw new Error(`${name} does not replay the stored response`)
  }
  const other = await implementation.replay(key, 'other').then(() => 'replayed', (e) => e.message ?? e.code)
  if (other === 'replayed') throw new Error(`${name} replays a different fingerprint`)
}

let keys = 0
const nextKey = () => `user-42:${++keys}:6f1c2b9e-2a4d-4c5e-9b1a-000000000000`

async function measureStore(implementation, { seconds, samples }) {
  const fingerprint = 'f'.repeat(64)
  const one = await sequential(() => implementation.round(nextKey(), fingerprint), { seconds, samples })
  const many = await concurrent(() => implementation.round(nextKey(), fingerprint), CONCURRENCY, { seconds })
  const replayKey = nextKey()
  await implementation.round(replayKey, fingerprint)
  const replayOne = await sequential(() => implementation.replay(replayKey, fingerprint), { seconds, samples })
  const replayMany = await concurrent(() => implementation.replay(replayKey, fingerprint), CONCURRENCY, { seconds })
  return {
    round: { latency: one.latency, throughput: many.opsPerSec, cpuPerCall: many.cpuPerCall },
    replay: { latency: replayOne.latency, throughput: replayMany.opsPerSec, cpuPerCall: replayMany.cpuPerCall },
  }
}

// ---------------------------------------------------------------------------------------------
// Fingerprints

function body(items) {
  return {
    orderId: 'ord_1234567890',
    customer: { id: 'cus_42', email: 'ada@example.com', address: { street: '1 Main St', city: 'Paris', zip: '75001', country: 'FR' } },
    items: Array.from({ length: items }, (_, i) => ({ sku: `sku-${i}`, name: `Item number ${i} with a name`, qty: (i % 5) + 1, price: 1999 + i, tags: ['a', 'b'], gift: i % 3 === 0 })),
    metadata: { source: 'web', campaign: null, score: 0.75 },
  }
}

const BODIES = [
  ['small body (~300 B)', body(1)],
  ['medium body (~4 KB)', body(30)],
  ['large body (~60 KB)', body(500)],
]

function baselineFingerprint({ method, path, body }) {
  return crypto.createHash('sha256').update(method.toUpperCase()).update('\n').update(path).update('\n').update(stableStringify(body)).digest('hex')
}

function agreeOnFingerprints() {
  const a = { b: 1, a: [1, { d: 2, c: 3 }] }
  const b = { a: [1, { c: 3, d: 2 }], b: 1 }
  for (const [name, fp] of [['ferroauth', requestFingerprint], ['baseline', baselineFingerprint]]) {
    const same = fp({ method: 'POST', path: '/o', body: a }) === fp({ method: 'post', path: '/o', body: b })
    const differs = fp({ method: 'POST', path: '/o', body: a }) !== fp({ method: 'POST', path: '/o', body: { ...a, b: 2 } })
    if (!same || !differs) throw new Error(`${name} fingerprints disagree with the rules`)
  }
}

/** Synchronous calls in a tight loop for `seconds`: calls per second. */
function syncRate(fn, seconds) {
  for (let i = 0; i < 200; i++) fn()
  let calls = 0
  const start = now()
  const deadline = start + seconds * 1000
  while (now() < deadline) {
    for (let i = 0; i < 50; i++) fn()
    calls += 50
  }
  return (calls / (now() - start)) * 1000
}

// ---------------------------------------------------------------------------------------------
// Reporting

const formatLatency = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`)
const formatOps = (value) => Math.round(value).toLocaleString('en-US')
const formatRatio = (value) => `${value.toFixed(2)}×`

function storeRows(results) {
  const rows = []
  for (const operation of ['round', 'replay']) {
    const label = operation === 'round' ? 'begin + complete' : 'replay (begin of a completed key)'
    const base = results.baseline[operation]
    for (const [name, r] of [['ferroauth (MemoryStore)', results.memory[operation]], ['ferroauth (RedisStore)', results.redis[operation]], ['ioredis by hand (SET NX PX + GET + SET)', base]]) {
      // Only the Redis rows compare like with like.
      const ratio = r === results.redis[operation] ? r.throughput / base.throughput : undefined
      rows.push({ operation: label, name, ...r, ratio, own: r !== base })
    }
  }
  return rows
}

function markdown(results, machine, quick, rounds) {
  const lines = [
    `Measured with \`npm run bench:idempotency\` (\`benchmark/idempotency.js\`, best of ${rounds} round${rounds > 1 ? 's' : ''}) on ${machine}.${quick ? ' **Quick run: rough numbers.**' : ''}`,
    '',
    `One request's store work: \`begin\` then \`complete\` with a 200-byte JSON response, a new key each time; a replay is \`begin\` of a completed key. Latency: median, one at a time; throughput: ${CONCURRENCY} in flight. Last column: RedisStore's throughput ÷ the hand-written ioredis code's on the same redis-server (both two round trips per request; a replay is one EVALSHA for ferroauth, SET NX then GET by hand).`,
    '',
    '| Operation | Implementation | Latency | Throughput (ops/s) | CPU per op | vs ioredis |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ]
  let last
  for (const r of storeRows(results)) {
    const b = (text) => (r.own ? `**${text}**` : text)
    lines.push(`| ${r.operation === last ? '' : r.operation} | ${b(r.name)} | ${formatLatency(r.latency)} | ${b(formatOps(r.throughput))} | ${r.cpuPerCall.toFixed(0)} µs | ${r.ratio === undefined ? '' : formatRatio(r.ratio)} |`)
    last = r.operation
  }
  lines.push('', '| Fingerprint | ferroauth `requestFingerprint` (ops/s) | fast-json-stable-stringify + SHA-256 (ops/s) | ferroauth ÷ baseline |', '| --- | ---: | ---: | ---: |')
  for (const f of results.fingerprints) lines.push(`| ${f.name} | **${formatOps(f.ferroauth)}** | ${formatOps(f.baseline)} | ${formatRatio(f.ferroauth / f.baseline)} |`)
  return lines.join('\n')
}

function consoleReport(results) {
  const lines = []
  for (const r of storeRows(results)) {
    lines.push(`${r.operation.padEnd(36)}${r.name.padEnd(42)}${formatLatency(r.latency).padStart(10)}${formatOps(r.throughput).padStart(10)} ops/s${(r.cpuPerCall.toFixed(0) + ' µs CPU').padStart(12)}${r.ratio === undefined ? '' : formatRatio(r.ratio).padStart(8)}`)
  }
  lines.push('')
  for (const f of results.fingerprints) lines.push(`fingerprint, ${f.name.padEnd(22)} ferroauth ${formatOps(f.ferroauth).padStart(9)} ops/s   baseline ${formatOps(f.baseline).padStart(9)} ops/s   ${formatRatio(f.ferroauth / f.baseline)}`)
  return lines.join('\n')
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const args = parseBenchArgs(process.argv.slice(2), __filename)
  const settings = args.quick ? SETTINGS.quick : SETTINGS.full
  const log = (line) => process.stderr.write(`${line}\n`)
  const redis = await startRedis()
  const client = new Redis({ host: redis.host, port: redis.port, lazyConnect: false })
  try {
    const redisVersion = /^redis_version:(\S+)/m.exec(await client.info('server'))[1]
    const implementations = {
      memory: ferroauthStore(new MemoryStore()),
      redis: ferroauthStore(new RedisStore({ url: redis.url, keyPrefix: 'bench:' })),
      baseline: ioredisBaseline(client, 'bench:baseline:'),
    }
    for (const [name, implementation] of Object.entries(implementations)) await agree(name, implementation)
    agreeOnFingerprints()

    const results = { memory: {}, redis: {}, baseline: {}, fingerprints: [] }
    const keepBest = (into, measured) => {
      for (const [operation, r] of Object.entries(measured)) {
        const best = (into[operation] ??= { latency: Infinity, throughput: 0, cpuPerCall: Infinity })
        best.latency = Math.min(best.latency, r.latency)
        best.throughput = Math.max(best.throughput, r.throughput)
        best.cpuPerCall = Math.min(best.cpuPerCall, r.cpuPerCall)
      }
    }
    const fingerprintBest = new Map()
    for (let round = 1; round <= settings.rounds; round++) {
      log(`round ${round}/${settings.rounds}`)
      const order = round % 2 ? ['memory', 'redis', 'baseline'] : ['baseline', 'redis', 'memory']
      for (const name of order) {
        keepBest(results[name], await measureStore(implementations[name], settings))
        log(`  ${name}: ${formatOps(results[name].round.throughput)} rounds/s`)
      }
      for (const [name, payload] of BODIES) {
        const request = { method: 'POST', path: '/api/v1/orders?source=web', body: payload }
        const best = fingerprintBest.get(name) ?? { name, ferroauth: 0, baseline: 0 }
        best.baseline = Math.max(best.baseline, syncRate(() => baselineFingerprint(request), settings.seconds))
        best.ferroauth = Math.max(best.ferroauth, syncRate(() => requestFingerprint(request), settings.seconds))
        fingerprintBest.set(name, best)
      }
    }
    results.fingerprints = [...fingerprintBest.values()]
    const machine = machineLine({ peers: ['ioredis', 'fast-json-stable-stringify'], details: [`redis-server ${redisVersion} on loopback`] })
    process.stdout.write(`${consoleReport(results)}\n\n${machine}\n`)
    publish(args, { name: 'idempotency', json: { machine, settings, results }, markdown: () => markdown(results, machine, args.quick, settings.rounds) })
  } finally {
    client.disconnect()
    await redis.stop()
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`)
  process.exit(1)
})
