'use strict'

/*
 * Rate limiting: ferroauth's RateLimiter against the limiters people use today, in one run.
 *
 *   node benchmark/ratelimit.js                  full run (about a minute on 2 cores)
 *   node benchmark/ratelimit.js --quick          short smoke run (numbers are rough)
 *   node benchmark/ratelimit.js --markdown       also print the Markdown table for README.md
 *   node benchmark/ratelimit.js --update-readme  also replace the table between the
 *                                                <!-- bench:ratelimit:start --> / <!-- bench:ratelimit:end --> markers
 *   node benchmark/ratelimit.js --json FILE      also write the raw results as JSON
 *
 * In memory: ferroauth on a MemoryStore, rate-limiter-flexible's RateLimiterMemory and
 * @nestjs/throttler's ThrottlerStorageService (what ThrottlerGuard calls per request). On Redis
 * (a redis-server of its own on a free loopback port): ferroauth on a RedisStore and
 * rate-limiter-flexible's RateLimiterRedis on ioredis, one call at a time and with 64 in flight.
 * Two workloads: "allowed" spreads hits over 10,000 keys under their limit (the everyday path),
 * "denied" hammers one key far over its limit (a login under attack). Before anything is timed,
 * every contender must allow exactly `limit` hits of a fresh key and deny the next.
 *
 * The algorithms differ: ferroauth keeps an exact sliding window (at most `limit` hits in any
 * span of `window`); rate-limiter-flexible counts in fixed windows; @nestjs/throttler keeps an
 * expiry per hit. Each is configured for the same limit and window.
 */


const { RateLimiter, MemoryStore, RedisStore } = require('..')
const { RateLimiterMemory, RateLimiterRedis } = require('rate-limiter-flexible')
const { ThrottlerStorageService } = require('@nestjs/throttler')
const Redis = require('ioredis')

const { startRedis } = require('../__test__/helpers/redis.js')
const { machineLine, publish } = require('./lib/report.js')
const { parseBenchArgs } = require('./lib/args.js')
const { now, concurrent } = require('./lib/timing.js')
const { median } = require('./lib/stats.js')

// ---------------------------------------------------------------------------------------------
// The fixture

const CONCURRENCY = 64
const KEYS = 10_000
const WINDOW_SECONDS = 60
const WORKLOADS = {
  // No key comes near its limit within a run: every hit is allowed and recorded.
  allowed: { limit: 100_000, key: (i) => `user-${i % KEYS}@example.com` },
  // One key, five per minute: after the first five every hit is denied.
  denied: { limit: 5, key: () => 'victim@example.com' },
}
const SETTINGS = {
  full: { rounds: 3, seconds: 1, batch: 200, samples: 200 },
  quick: { rounds: 1, seconds: 0.2, batch: 100, samples: 50 },
}

// Each contender: `make(limit, prefix)` -> `consume(key)` resolving `true` (allowed) or `false`.
const CONTENDERS = {
  memory: {
    'ferroauth (MemoryStore)': (limit) => {
      const limiter = new RateLimiter({ store: new MemoryStore(), limit, window: WINDOW_SECONDS })
      return async (key) => (await limiter.consume(key)).allowed
    },
    'rate-limiter-flexible (RateLimiterMemory)': (limit) => {
      const limiter = new RateLimiterMemory({ points: limit, duration: WINDOW_SECONDS })
      return (key) => limiter.consume(key).then(() => true, () => false)
    },
    '@nestjs/throttler (ThrottlerStorageService)': (limit) => {
      const storage = new ThrottlerStorageService()
      const ttl = WINDOW_SECONDS * 1000
      return async (key) => !(await storage.increment(key, ttl, limit, ttl, 'default')).isBlocked
    },
  },
  redis: {
    'ferroauth (RedisStore)': (limit, { redis, prefix }) => {
      const limiter = new RateLimiter({ store: new RedisStore({ url: redis.url, keyPrefix: prefix }), limit, window: WINDOW_SECONDS })
      return async (key) => (await limiter.consume(key)).allowed
    },
    'rate-limiter-flexible (RateLimiterRedis, ioredis)': (limit, { client, prefix }) => {
      const limiter = new RateLimiterRedis({ storeClient: client, points: limit, duration: WINDOW_SECONDS, keyPrefix: prefix })
      return (key) => limiter.consume(key).then(() => true, () => false)
    },
  },
}

let prefixes = 0
const freshPrefix = () => `bench${process.pid}-${prefixes++}:`

/** Exactly `limit` hits of a fresh key allowed, the next denied. */
async function agree(name, make, context) {
  const consume = make(3, { ...context, prefix: freshPrefix() })
  const outcomes = []
  for (let i = 0; i < 4; i++) outcomes.push(await consume('agreement'))
  if (outcomes.join() !== 'true,true,true,false') throw new Error(`${name}: limit 3 gave ${outcomes.join()}`)
}

// ---------------------------------------------------------------------------------------------
// Timing

/**
 * Calls one after another for `seconds`, timed in batches of `batch` (a memory-store call takes
 * about as long as reading the clock). Resolves with calls per second and the median latency (ms).
 */
async function sequential(consume, key, { seconds, batch, samples }) {
  const latencies = []
  let calls = 0
  const start = now()
  const deadline = start + seconds * 1000
  while (latencies.length < samples || now() < deadline) {
    const t = now()
    for (let i = 0; i < batch; i++) await consume(key(calls++))
    latencies.push((now() - t) / batch)
  }
  return { opsPerSec: (calls / (now() - start)) * 1000, latency: median(latencies) }
}

// ---------------------------------------------------------------------------------------------
// Reporting

const formatLatency = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(ms < 0.01 ? 2 : 1)} µs` : `${ms.toFixed(2)} ms`)
const formatOps = (value) => Math.round(value).toLocaleString('en-US')
const formatRatio = (value) => `${value.toFixed(value >= 10 ? 1 : 2)}×`

/** One row per (store, workload, contender), ferroauth's first, with ratios against it. */
function rows(results) {
  const out = []
  for (const [store, byWorkload] of Object.entries(results)) {
    for (const [workload, byContender] of Object.entries(byWorkload)) {
      const entries = Object.entries(byContender)
      const own = entries[0][1]
      for (const [name, r] of entries) {
        out.push({
          store,
          workload,
          name,
          own: r === own,
          ...r,
          latencyRatio: r.latency / own.latency,
          opsRatio: own.opsPerSec / r.opsPerSec,
          throughputRatio: r.throughput === undefined ? undefined : own.throughput / r.throughput,
        })
      }
    }
  }
  return out
}

function consoleTable(results) {
  const lines = []
  for (const r of rows(results)) {
    const ratios = r.own ? '' : `   ferroauth ${formatRatio(r.opsRatio)} one at a time${r.throughputRatio === undefined ? '' : `, ${formatRatio(r.throughputRatio)} in flight`}`
    const inFlight = r.throughput === undefined ? '' : `, ${formatOps(r.throughput)} ops/s with ${CONCURRENCY} in flight`
    lines.push(`${r.store.padEnd(7)}${r.workload.padEnd(9)}${r.name.padEnd(50)}${formatLatency(r.latency).padStart(10)}, ${formatOps(r.opsPerSec)} ops/s${inFlight}${ratios}`)
  }
  return lines.join('\n')
}

function markdownTable(results, { machine, settings, quick }) {
  const lines = [
    `Measured with \`npm run bench:ratelimit\` (\`benchmark/ratelimit.js\`, best of ${settings.rounds} round${settings.rounds > 1 ? 's' : ''}) on ${machine}.${quick ? ' **Quick run: rough numbers.**' : ''}`,
    '',
    `Every limiter is set to the same limit per ${WINDOW_SECONDS} s. "allowed": hits spread over ${KEYS.toLocaleString('en-US')} keys, none near its limit; "denied": one key over its limit (5), hammered. Latency is the median of one call at a time; the speed-up columns are ferroauth's ops/s ÷ the library's (above 1× means ferroauth is faster).`,
    '',
    `| Store | Workload | Library | latency | ops/s, one at a time | ops/s, ${CONCURRENCY} in flight | speed-up (one at a time) | speed-up (${CONCURRENCY} in flight) |`,
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ]
  let last
  for (const r of rows(results)) {
    const group = `${r.store} ${r.workload}`
    const bold = (text) => (r.own && text ? `**${text}**` : text)
    lines.push(
      `| ${group !== last ? r.store : ''} | ${group !== last ? r.workload : ''} | ${bold(r.name)} | ${bold(formatLatency(r.latency))} | ${bold(formatOps(r.opsPerSec))} | ${bold(r.throughput === undefined ? '' : formatOps(r.throughput))} | ${r.own ? '' : formatRatio(r.opsRatio)} | ${r.own || r.throughputRatio === undefined ? '' : formatRatio(r.throughputRatio)} |`,
    )
    last = group
  }
  return lines.join('\n')
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const args = parseBenchArgs(process.argv.slice(2), __filename)
  const log = (message) => process.stderr.write(`${message}\n`)
  const settings = args.quick ? SETTINGS.quick : SETTINGS.full

  const redis = await startRedis()
  const client = new Redis({ host: redis.host, port: redis.port, lazyConnect: true })
  try {
    await client.connect()
    const redisVersion = /^redis_version:(\S+)/m.exec(await client.info('server'))[1]
    log(`redis-server ${redisVersion} on ${redis.url}`)
    const context = { redis, client }

    for (const contenders of Object.values(CONTENDERS)) {
      for (const [name, make] of Object.entries(contenders)) await agree(name, make, context)
    }
    log('every limiter allows exactly its limit, then denies')

    const results = {}
    for (let round = 1; round <= settings.rounds; round++) {
      log(`round ${round}/${settings.rounds}`)
      for (const [store, contenders] of Object.entries(CONTENDERS)) {
        for (const [workload, { limit, key }] of Object.entries(WORKLOADS)) {
          const names = Object.keys(contenders)
          // Alternate the order each round so no contender always runs first.
          for (const name of round % 2 ? names : [...names].reverse()) {
            const consume = contenders[name](limit, { ...context, prefix: freshPrefix() })
            for (let i = 0; i < 2000; i++) await consume(key(i)) // warm up; the denied key is over its limit after this
            const one = await sequential(consume, key, settings)
            let calls = 0
            const many = store === 'redis' ? await concurrent(() => consume(key(calls++)), CONCURRENCY, settings) : undefined
            const best = (((results[store] ??= {})[workload] ??= {})[name] ??= { latency: Infinity, opsPerSec: 0, throughput: store === 'redis' ? 0 : undefined })
            best.latency = Math.min(best.latency, one.latency)
            best.opsPerSec = Math.max(best.opsPerSec, one.opsPerSec)
            if (many) best.throughput = Math.max(best.throughput, many.opsPerSec)
            log(`  ${store} ${workload} ${name}: ${formatLatency(one.latency)}, ${formatOps(one.opsPerSec)} ops/s${many ? `, ${formatOps(many.opsPerSec)} ops/s in flight` : ''}`)
          }
        }
      }
      // A fresh Redis between rounds: the allowed workload leaves its lists behind.
      await client.flushall()
    }
    // Rows in the declared order, ferroauth's first.
    for (const [store, contenders] of Object.entries(CONTENDERS)) {
      for (const workload of Object.keys(WORKLOADS)) {
        const measured = results[store][workload]
        results[store][workload] = Object.fromEntries(Object.keys(contenders).map((name) => [name, measured[name]]))
      }
    }

    const machine = machineLine({ peers: ['rate-limiter-flexible', '@nestjs/throttler', 'ioredis'], details: [`redis-server ${redisVersion} on loopback`] })
    process.stdout.write(`${consoleTable(results)}\n\n${machine}\n`)
    publish(args, { name: 'ratelimit', json: { machine, settings, results }, markdown: () => markdownTable(results, { machine, settings, quick: args.quick }) })
  } finally {
    client.disconnect()
    await redis.stop()
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`)
  process.exit(1)
})
