'use strict'

/*
 * Password hashing: ferroauth against the libraries people use today, in one run.
 *
 *   node benchmark/password.js                  full run (about 2.5 minutes on 2 cores)
 *   node benchmark/password.js --quick          short smoke run (numbers are rough)
 *   node benchmark/password.js --markdown       also print the Markdown table for README.md
 *   node benchmark/password.js --update-readme  also replace the table between the
 *                                               <!-- bench:password:start --> / <!-- bench:password:end --> markers
 *   node benchmark/password.js --json FILE      also write the raw results as JSON
 *
 * Argon2id at OWASP's parameters (m=19456 KiB, t=2, p=1, 16-byte salt, 32-byte tag) against
 * argon2 (node-argon2, the C reference implementation) and @node-rs/argon2; bcrypt verify at
 * cost 10 against bcrypt (C++), bcryptjs and @node-rs/bcrypt. Every library gets the same
 * password and the same parameters. Before anything is timed, the hashes each library makes
 * must verify in the others (and a wrong password must not); a library that fails is left out.
 */


const ferroauth = require('..')
const argon2 = require('argon2')
const nodeRsArgon2 = require('@node-rs/argon2')
const bcrypt = require('bcrypt')
const bcryptjs = require('bcryptjs')
const nodeRsBcrypt = require('@node-rs/bcrypt')

const { machineLine, publish } = require('./lib/report.js')
const { parseBenchArgs } = require('./lib/args.js')
const { median } = require('./lib/stats.js')

// ---------------------------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  return parseBenchArgs(argv, __filename)
}

// ---------------------------------------------------------------------------------------------
// The fixture: one password and one set of parameters for everybody

const PASSWORD = 'correct horse battery staple'
const WRONG = 'correct horse battery stapler'
const ARGON2 = Object.freeze({ memoryCost: 19456, timeCost: 2, parallelism: 1, hashLength: 32 })
const BCRYPT_COST = 10
const CONCURRENCY = 8

const contenders = {
  'argon2id hash': {
    ferroauth: () => ferroauth.hashPassword(PASSWORD, { memoryCost: ARGON2.memoryCost, timeCost: ARGON2.timeCost, parallelism: ARGON2.parallelism }),
    argon2: () => argon2.hash(PASSWORD, { type: argon2.argon2id, ...ARGON2 }),
    '@node-rs/argon2': () =>
      nodeRsArgon2.hash(PASSWORD, {
        algorithm: 2, // Algorithm.Argon2id (a const enum in its types)
        memoryCost: ARGON2.memoryCost,
        timeCost: ARGON2.timeCost,
        parallelism: ARGON2.parallelism,
        outputLen: ARGON2.hashLength,
      }),
  },
  // Each library verifies a hash it made itself (identical parameters): `verify` below.
  'argon2id verify': {},
  'bcrypt verify (cost 10)': {},
}

/** Verifiers of one stored hash, per library. */
const verifiers = {
  argon2: {
    ferroauth: (hash, password) => ferroauth.verifyPassword(hash, password),
    argon2: (hash, password) => argon2.verify(hash, password),
    '@node-rs/argon2': (hash, password) => nodeRsArgon2.verify(hash, password),
  },
  bcrypt: {
    ferroauth: (hash, password) => ferroauth.verifyPassword(hash, password),
    bcrypt: (hash, password) => bcrypt.compare(password, hash),
    bcryptjs: (hash, password) => bcryptjs.compare(password, hash),
    '@node-rs/bcrypt': (hash, password) => nodeRsBcrypt.verify(password, hash),
  },
}

const bcryptMakers = {
  ferroauth: undefined, // ferroauth verifies bcrypt, it does not make bcrypt hashes
  bcrypt: () => bcrypt.hash(PASSWORD, BCRYPT_COST),
  bcryptjs: () => bcryptjs.hash(PASSWORD, BCRYPT_COST),
  '@node-rs/bcrypt': () => nodeRsBcrypt.hash(PASSWORD, { cost: BCRYPT_COST }),
}

// ---------------------------------------------------------------------------------------------
// Agreement: every hash verifies everywhere, and a wrong password is refused everywhere

async function agree(log) {
  const skipped = []
  const argonHashes = {}
  for (const [library, make] of Object.entries(contenders['argon2id hash'])) {
    const hash = await make()
    if (!/^\$argon2id\$v=19\$/.test(hash) || !/m=19456/.test(hash) || !/t=2/.test(hash) || !/p=1/.test(hash)) {
      throw new Error(`${library} made ${hash}, not Argon2id with m=19456, t=2, p=1`)
    }
    argonHashes[library] = hash
  }
  for (const [maker, hash] of Object.entries(argonHashes)) {
    for (const [library, verify] of Object.entries(verifiers.argon2)) {
      if ((await verify(hash, PASSWORD)) !== true) throw new Error(`${library} does not verify ${maker}'s hash ${hash}`)
      if ((await verify(hash, WRONG)) !== false) throw new Error(`${library} accepts a wrong password for ${maker}'s hash`)
    }
  }
  log(`argon2id: hashes from ${Object.keys(argonHashes).join(', ')} verify in all of them`)

  const bcryptHashes = {}
  for (const [library, make] of Object.entries(bcryptMakers)) if (make) bcryptHashes[library] = await make()
  for (const [maker, hash] of Object.entries(bcryptHashes)) {
    if (!hash.startsWith(`$2b$${BCRYPT_COST}$`) && !hash.startsWith(`$2a$${BCRYPT_COST}$`)) throw new Error(`${maker} made ${hash}`)
    for (const [library, verify] of Object.entries(verifiers.bcrypt)) {
      if ((await verify(hash, PASSWORD)) !== true) throw new Error(`${library} does not verify ${maker}'s hash ${hash}`)
      if ((await verify(hash, WRONG)) !== false) throw new Error(`${library} accepts a wrong password for ${maker}'s hash`)
    }
  }
  log(`bcrypt: hashes from ${Object.keys(bcryptHashes).join(', ')} verify in all of ${Object.keys(verifiers.bcrypt).join(', ')}`)

  // Timed verification: each library verifies the same stored hash (ferroauth's for Argon2,
  // bcryptjs's for bcrypt, since ferroauth does not make bcrypt hashes).
  for (const [library, verify] of Object.entries(verifiers.argon2)) {
    contenders['argon2id verify'][library] = () => verify(argonHashes.ferroauth, PASSWORD)
  }
  for (const [library, verify] of Object.entries(verifiers.bcrypt)) {
    contenders['bcrypt verify (cost 10)'][library] = () => verify(bcryptHashes.bcryptjs, PASSWORD)
  }
  return skipped
}

// ---------------------------------------------------------------------------------------------
// Timing

const now = () => Number(process.hrtime.bigint()) / 1e6

/** Median latency (ms) of `count` calls made one after another. */
async function sequential(fn, count) {
  const samples = []
  for (let i = 0; i < count; i++) {
    const start = now()
    await fn()
    samples.push(now() - start)
  }
  return median(samples)
}

/** Operations per second with `concurrency` calls in flight until `count` have completed. */
async function concurrent(fn, count, concurrency) {
  let started = 0
  const start = now()
  async function lane() {
    while (started < count) {
      started++
      await fn()
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane))
  return (count / (now() - start)) * 1000
}

// ---------------------------------------------------------------------------------------------
// Reporting

function describeMachine() {
  return machineLine({
    peers: ['argon2', '@node-rs/argon2', 'bcrypt', 'bcryptjs', '@node-rs/bcrypt'],
    details: [`libuv pool ${process.env.UV_THREADPOOL_SIZE ?? 4} threads`],
    simd: true,
  })
}

const ms = (value) => value.toFixed(value < 10 ? 2 : 1)
const ops = (value) => value.toFixed(value < 100 ? 1 : 0)
const ratio = (value) => `${value.toFixed(2)}×`

function rows(results) {
  const out = []
  for (const [operation, byLibrary] of Object.entries(results)) {
    const own = byLibrary.ferroauth
    for (const [library, r] of Object.entries(byLibrary)) {
      out.push({
        operation,
        library,
        latency: r.latency,
        throughput: r.throughput,
        latencyRatio: median(r.latencies.map((latency, round) => latency / own.latencies[round])),
        throughputRatio: median(own.throughputs.map((throughput, round) => throughput / r.throughputs[round])),
      })
    }
  }
  return out
}

function consoleTable(results) {
  const lines = []
  let current
  for (const r of rows(results)) {
    if (r.operation !== current) {
      current = r.operation
      lines.push('', r.operation, `  ${'library'.padEnd(18)}${'ms (1 at a time)'.padStart(18)}${`ops/s (${CONCURRENCY} in flight)`.padStart(22)}${'ferroauth speed-up'.padStart(22)}`)
    }
    const speedup = r.library === 'ferroauth' ? '' : `${ratio(r.latencyRatio)} / ${ratio(r.throughputRatio)}`
    lines.push(`  ${r.library.padEnd(18)}${ms(r.latency).padStart(18)}${ops(r.throughput).padStart(22)}${speedup.padStart(22)}`)
  }
  return lines.slice(1).join('\n')
}

function markdownTable(results, { machine, rounds, quick }) {
  const lines = [
    `Measured with \`npm run bench:password\` (\`benchmark/password.js\`, median of ${rounds} interleaved round${rounds > 1 ? 's' : ''}) on ${machine}.${quick ? ' **Quick run: rough numbers.**' : ''}`,
    '',
    `Argon2id with m=19456 KiB, t=2, p=1 and a 32-byte tag for every library; bcrypt cost 10. Latency is the median of calls made one at a time; throughput keeps ${CONCURRENCY} calls in flight.`,
    'The speed-up columns are how many times faster ferroauth is (the library\'s latency ÷ ferroauth\'s; ferroauth\'s ops/s ÷ the library\'s), the median of the ratios taken within each round: above 1× means ferroauth is faster.',
    '',
    `| Operation | Library | ms, one at a time | ops/s, ${CONCURRENCY} in flight | speed-up (latency) | speed-up (throughput) |`,
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ]
  let current
  for (const r of rows(results)) {
    const first = r.operation !== current
    current = r.operation
    const own = r.library === 'ferroauth'
    const bold = (text) => (own ? `**${text}**` : text)
    lines.push(
      `| ${first ? r.operation : ''} | ${bold(r.library)} | ${bold(ms(r.latency))} | ${bold(ops(r.throughput))} | ${own ? '' : ratio(r.latencyRatio)} | ${own ? '' : ratio(r.throughputRatio)} |`,
    )
  }
  return lines.join('\n')
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const log = (message) => process.stderr.write(`${message}\n`)
  const settings = args.quick ? { rounds: 1, sequential: 3, concurrent: 8 } : { rounds: 7, sequential: 8, concurrent: 24 }

  await agree(log)

  // Warm-up: every library once (loads, allocates its memory, fills the pool's threads).
  for (const byLibrary of Object.values(contenders)) {
    for (const fn of Object.values(byLibrary)) await Promise.all(Array.from({ length: 4 }, fn))
  }

  const results = {}
  for (let round = 1; round <= settings.rounds; round++) {
    log(`round ${round}/${settings.rounds}`)
    for (const [operation, byLibrary] of Object.entries(contenders)) {
      results[operation] ??= {}
      // Rotate the order each round so no library always runs first.
      const entries = Object.entries(byLibrary)
      const rotated = entries.slice(round % entries.length).concat(entries.slice(0, round % entries.length))
      for (const [library, fn] of rotated) {
        const latency = await sequential(fn, settings.sequential)
        const throughput = await concurrent(fn, settings.concurrent, CONCURRENCY)
        const all = (results[operation][library] ??= { latencies: [], throughputs: [] })
        all.latencies.push(latency)
        all.throughputs.push(throughput)
        log(`  ${operation} ${library}: ${ms(latency)} ms, ${ops(throughput)} ops/s`)
      }
    }
  }
  // Each library's median round; ferroauth first within each operation. On a shared machine
  // one quiet round can double a library's throughput, so neither a best round nor ratios of
  // rounds run minutes apart would be fair: the speed-ups compare within each round (rows()).
  for (const operation of Object.keys(results)) {
    const { ferroauth: own, ...others } = results[operation]
    results[operation] = {}
    for (const [library, all] of Object.entries({ ferroauth: own, ...others })) {
      results[operation][library] = { ...all, latency: median(all.latencies), throughput: median(all.throughputs) }
    }
  }

  const machine = describeMachine()
  process.stdout.write(`${consoleTable(results)}\n\n${machine}\n`)
  publish(args, { name: 'password', json: { machine, settings, results }, markdown: () => markdownTable(results, { machine, rounds: settings.rounds, quick: args.quick }) })
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`)
  process.exit(1)
})
