'use strict'

// HTTP throughput of a route behind ferroauth against the same route with no auth and behind
// the middleware people use today: express-jwt, passport-jwt (through @nestjs/passport for
// Nest) and a hand-written fast-jwt middleware/guard. Express 5 and NestJS (Express platform).
//
//   node benchmark/http.js                 full run (5 s per case after a 1 s warm-up)
//   node benchmark/http.js --quick         smoke run (1 s per case; rough numbers)
//   node benchmark/http.js --markdown      also print the Markdown table
//   node benchmark/http.js --update-readme also write that table into ../README.md
//   node benchmark/http.js --json FILE     also write the raw results as JSON
//   --duration s=5 --warmup s=2 --connections n=50 --rounds n=5   --duration is the measured
//        time per case, split into --rounds interleaved slices
//   --only express,nest   --contenders no-auth,ferroauth,...
//   --pin                 Linux: server on CPU 1, load generator on CPU 0
//
// Each server runs in its own child process (benchmark/http-server.js); autocannon drives it
// from this process over 127.0.0.1, so load generator and server never share an event loop.
// Every contender verifies the same HS256 token: signature, exp, iss, aud, algorithm pinned.
// Progress goes to stderr, results to stdout.

const os = require('node:os')
const path = require('node:path')
const { fork, execFileSync } = require('node:child_process')
const autocannon = require('autocannon')
const { TokenSigner } = require('ferroauth')
const { machineLine, publish } = require('./lib/report.js')
const { parseBenchArgs } = require('./lib/args.js')
const { median, medianInterval } = require('./lib/stats.js')

const ROOT = path.join(__dirname, '..')
const SERVER = path.join(__dirname, 'http-server.js')

const PEERS = ['fast-jwt', 'express-jwt', 'passport-jwt']
// ferroauth with its defaults remembers a verified token until its exp; it is compared with
// fast-jwt's cache. ferroauth with cache: false verifies every request, as the peers do.
const OWN = ['ferroauth', 'ferroauth (no cache)']
const CACHED_PEERS = ['fast-jwt (cache)']
const LABELS = {
  ferroauth: 'ferroauth (defaults: verified-token cache)',
  'ferroauth (no cache)': 'ferroauth, cache: false',
  'fast-jwt (cache)': 'fast-jwt, cache: true',
}
const FRAMEWORKS = [
  {
    id: 'express',
    name: 'Express 5',
    // 'req.user only' (a middleware that sets req.user and verifies nothing) shows what the
    // extra route handler and request property alone cost.
    contenders: ['no auth', 'req.user only', 'ferroauth', ...CACHED_PEERS, 'ferroauth (no cache)', ...PEERS],
    labels: {
      ...LABELS,
      'req.user only': 'req.user only (floor of any middleware)',
      'fast-jwt': 'fast-jwt (hand-written middleware)',
    },
  },
  {
    id: 'nest',
    name: `NestJS ${require('@nestjs/core/package.json').version.split('.')[0]}`,
    // 'no-op guard' (a guard that returns true) shows what Nest's guard machinery alone costs;
    // 'req.user only' (a guard that sets req.user and verifies nothing), that plus the property.
    contenders: ['no auth', 'no-op guard', 'req.user only', 'ferroauth', ...CACHED_PEERS, 'ferroauth (no cache)', ...PEERS],
    labels: {
      ...LABELS,
      'no-op guard': 'no-op guard (floor of any guard)',
      'req.user only': 'req.user only (floor of any auth guard)',
      'fast-jwt': 'fast-jwt (hand-written guard)',
      'express-jwt': 'express-jwt (app.use)',
      'passport-jwt': 'passport-jwt (@nestjs/passport)',
    },
  },
]
/** The ferroauth row a row is compared with: like with like, cache or none. */
const ownFor = (contender) =>
  OWN.includes(contender) ? contender : CACHED_PEERS.includes(contender) ? 'ferroauth' : 'ferroauth (no cache)'
const VERSIONED = ['express', '@nestjs/core', '@nestjs/passport', 'express-jwt', 'passport-jwt', 'fast-jwt', 'autocannon']

// ---- options ------------------------------------------------------------------------------------

const slug = (name) => name.replace(/[(),:]/g, ' ').trim().replace(/\s+/g, '-')

function parseArgs(argv) {
  const number = (name) => (options, value) => { options[name] = Number(value()) }
  const options = parseBenchArgs(argv, __filename, {
    defaults: { duration: 5, warmup: 2, connections: 50, rounds: 5, only: undefined, contenders: undefined, pin: false },
    flags: {
      '--duration': number('duration'),
      '--warmup': number('warmup'),
      '--connections': number('connections'),
      '--rounds': number('rounds'),
      '--only': (options, value) => { options.only = value().split(',') },
      '--contenders': (options, value) => { options.contenders = value().split(',').map(slug) },
      '--pin': (options) => { options.pin = true },
    },
  })
  if (options.quick) {
    options.duration = Math.min(options.duration, 1)
    options.warmup = Math.min(options.warmup, 0.5)
    options.rounds = Math.min(options.rounds, 2)
  }
  for (const name of ['duration', 'warmup', 'connections', 'rounds']) {
    if (!(options[name] >= 0) || (name !== 'warmup' && options[name] === 0)) throw new Error(`--${name} must be a positive number`)
  }
  return options
}

// ---- servers ------------------------------------------------------------------------------------

const { SECRET, ISSUER, AUDIENCE, signer, TOKEN, SERVER_ENV } = require('./lib/http-token.js')
const FORGED = new TokenSigner({ secret: `${SECRET}-forged`, issuer: ISSUER, audience: AUDIENCE }).sign({ sub: 'user-1' })
const EXPIRED = signer.sign({ sub: 'user-1', iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 })
const WRONG_AUDIENCE = new TokenSigner({ secret: SECRET, issuer: ISSUER, audience: 'other-api' }).sign({ sub: 'user-1' })

// --pin: the servers on one CPU, this process (autocannon) on another, all threads included.
const LOAD_CPU = 0
const SERVER_CPU = 1
let pinned = false

function pin(pid, cpu) {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' })
}

function pinSelf() {
  if (process.platform !== 'linux' || os.cpus().length < 2) {
    process.stderr.write('--pin needs Linux (taskset) and at least 2 CPUs; running unpinned\n')
    return
  }
  try {
    pin(process.pid, LOAD_CPU)
    pinned = true
  } catch (error) {
    process.stderr.write(`--pin: taskset failed (${error.message.split('\n')[0]}); running unpinned\n`)
  }
}

/** Forks one server and resolves with `{ url, stop }` once it listens. */
function startServer(framework, contender) {
  return new Promise((resolve, reject) => {
    const child = fork(SERVER, [framework, contender], {
      cwd: ROOT,
      env: { ...process.env, ...SERVER_ENV },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    if (pinned) pin(child.pid, SERVER_CPU)
    const exited = new Promise((done) => child.once('exit', done))
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      let timer
      const gone = await Promise.race([exited.then(() => true), new Promise((done) => { timer = setTimeout(done, 5000, false) })])
      clearTimeout(timer)
      if (!gone) {
        child.kill('SIGKILL')
        await exited
      }
    }
    const timer = setTimeout(() => {
      stop()
      reject(new Error(`${framework}/${contender}: the server did not start within 30 s`))
    }, 30_000)
    const pending = new Map()
    let nextId = 0
    /** The server's CPU time so far (user + system), in microseconds. */
    const cpu = () => new Promise((done) => {
      const id = nextId++
      pending.set(id, done)
      child.send({ type: 'cpu', id })
    })
    child.on('message', (message) => {
      if (message.type === 'cpu') {
        pending.get(message.id)?.(message.usage.user + message.usage.system)
        pending.delete(message.id)
      } else if (message.type === 'listening') {
        clearTimeout(timer)
        resolve({ url: `http://127.0.0.1:${message.port}/api/profile`, stop, cpu })
      }
    })
    exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`${framework}/${contender}: the server exited (${code}) before listening`))
    })
  })
}

async function status(url, token) {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} })
  const text = await response.text()
  return { status: response.status, text }
}

/** Before timing: the valid token is accepted, and (for auth contenders) the bad ones refused. */
async function checkServer(url, contender) {
  const ok = await status(url, TOKEN)
  if (ok.status !== 200 || JSON.parse(ok.text).sub !== 'user-1') return `the valid token got ${ok.status} ${ok.text}`
  if (contender === 'no auth' || contender === 'no-op guard' || contender === 'req.user only') return undefined
  for (const [what, token] of [['no token', undefined], ['a forged signature', FORGED], ['an expired token', EXPIRED], ['a wrong audience', WRONG_AUDIENCE]]) {
    const refused = await status(url, token)
    if (refused.status !== 401) return `${what} got ${refused.status} instead of 401`
  }
  return undefined
}

function load(url, seconds, connections) {
  return autocannon({
    url,
    connections,
    pipelining: 1,
    duration: seconds,
    // autocannon stops only on a sample tick (default every second): a 0.25 s slice would
    // otherwise run for a whole second. Throughput is completed requests ÷ elapsed time either way.
    sampleInt: Math.min(1000, Math.max(10, seconds * 100)),
    headers: { authorization: `Bearer ${TOKEN}` },
  })
}

// ---- measuring ----------------------------------------------------------------------------------

/** One timed slice of load on a running server. */
async function slice(server, seconds, connections) {
  const cpuBefore = await server.cpu()
  const result = await load(server.url, seconds, connections)
  const cpuAfter = await server.cpu()
  const failures = result.non2xx + result.errors + result.timeouts
  if (failures > 0) {
    return { failed: `${failures} failed requests under load (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})` }
  }
  return {
    requestsPerSecond: result.requests.total / result.duration,
    cpuPerRequest: (cpuAfter - cpuBefore) / result.requests.total,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
  }
}

/**
 * All servers of one framework run side by side (idle ones cost nothing); each gets a warm-up,
 * then `rounds` slices of `duration / rounds` seconds, round-robin in a rotating order, so that
 * every contender is measured under the same conditions and slow spells from other processes hit
 * all of them. Ratios are taken within a round (neighbours in time) and reported as medians.
 */
async function runFramework(framework, options) {
  const servers = new Map()
  const skipped = new Map()
  const samples = new Map(framework.contenders.map((c) => [c, []]))
  try {
    for (const contender of framework.contenders) {
      process.stderr.write(`${framework.name}: starting ${contender}... `)
      const server = await startServer(framework.id, contender)
      const problem = await checkServer(server.url, contender)
      if (problem) {
        skipped.set(contender, problem)
        process.stderr.write(`skipped: ${problem}\n`)
        await server.stop()
        continue
      }
      servers.set(contender, server)
      if (options.warmup > 0) await load(server.url, options.warmup, options.connections)
      process.stderr.write('checked, warmed up\n')
    }
    const seconds = options.duration / options.rounds
    for (let round = 0; round < options.rounds; round++) {
      const all = [...servers.keys()]
      const order = all.map((_, i) => all[(i + round) % all.length])
      const line = []
      for (const contender of order) {
        if (skipped.has(contender)) continue
        const result = await slice(servers.get(contender), seconds, options.connections)
        if (result.failed) {
          skipped.set(contender, result.failed)
          continue
        }
        samples.get(contender)[round] = result
        line.push(`${contender} ${formatNumber(result.requestsPerSecond)} (${result.cpuPerRequest.toFixed(0)} µs)`)
      }
      process.stderr.write(`${framework.name} round ${round + 1}/${options.rounds}: ${line.join(', ')}\n`)
    }
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()))
  }

  const perRound = (contender, pick) => samples.get(contender).map((sample) => (sample ? pick(sample) : undefined))
  // Within a round: throughput a ÷ b, and the CPU-time equivalent (b's CPU per request ÷ a's).
  const pairedRatios = (a, b, cpu = false) => (!samples.has(a) || !samples.has(b)) ? [] : samples.get(a).map((x, round) => {
    const y = samples.get(b)[round]
    if (!x || !y) return undefined
    return cpu ? y.cpuPerRequest / x.cpuPerRequest : x.requestsPerSecond / y.requestsPerSecond
  })
  const pairedRatio = (a, b, cpu = false) => median(pairedRatios(a, b, cpu))
  return framework.contenders.map((contender) => {
    const row = { framework: framework.name, frameworkId: framework.id, contender, label: framework.labels[contender] ?? contender }
    if (skipped.has(contender)) return { ...row, skipped: skipped.get(contender) }
    return {
      ...row,
      requestsPerSecond: median(perRound(contender, (s) => s.requestsPerSecond)),
      samples: perRound(contender, (s) => Math.round(s.requestsPerSecond)),
      latencyP50: median(perRound(contender, (s) => s.latencyP50)),
      latencyP99: median(perRound(contender, (s) => s.latencyP99)),
      cpuPerRequest: median(perRound(contender, (s) => s.cpuPerRequest)),
      ofBaseline: skipped.has('no auth') ? undefined : pairedRatio(contender, 'no auth'),
      ofBaselineInterval: skipped.has('no auth') || contender === 'no auth' ? undefined : medianInterval(pairedRatios(contender, 'no auth')),
      ferroauthRatio: skipped.has(ownFor(contender)) ? undefined : pairedRatio(ownFor(contender), contender),
      // Each ferroauth row ÷ this one, by throughput and by CPU, for the goals.
      versus: Object.fromEntries(OWN.filter((own) => !skipped.has(own)).map((own) =>
        [own, { throughput: pairedRatio(own, contender), cpu: pairedRatio(own, contender, true) }])),
      cpuOfBaseline: skipped.has('no auth') ? undefined : pairedRatio(contender, 'no auth', true),
      cpuFerroauthRatio: skipped.has(ownFor(contender)) ? undefined : pairedRatio(ownFor(contender), contender, true),
    }
  })
}

async function run(options) {
  const frameworks = FRAMEWORKS.filter((f) => !options.only || options.only.includes(f.id)).map((f) => ({
    ...f,
    contenders: f.contenders.filter((c) => !options.contenders || options.contenders.includes(slug(c))),
  })).filter((f) => f.contenders.length > 0)
  if (frameworks.length === 0) throw new Error('--only / --contenders matched nothing (frameworks: express, nest)')
  if (options.pin) pinSelf()
  const results = []
  for (const framework of frameworks) results.push(...(await runFramework(framework, options)))
  return results
}

// ---- reporting ----------------------------------------------------------------------------------

const formatNumber = (n) => Math.round(n).toLocaleString('en-US')
const describeTiming = (o) =>
  `${o.warmup} s warm-up, then ${o.rounds} interleaved rounds of ${+(o.duration / o.rounds).toFixed(2)} s per case (${o.duration} s in all), median`
const formatPercent = (r) => (r === undefined ? 'n/a' : `${(r * 100).toFixed(1)} %`)
const formatInterval = (i) => (i === undefined ? '' : ` (${(i[0] * 100).toFixed(0)}–${(i[1] * 100).toFixed(0)})`)
const formatRatio = (r) => (r === undefined ? 'n/a' : `${r.toFixed(2)}x`)
const formatLatency = (m) => (m.latencyP50 === undefined ? 'n/a' : `${m.latencyP50} / ${m.latencyP99} ms`)

function describeMachine() {
  return machineLine({ peers: VERSIONED })
}

const formatMicros = (us) => (us === undefined ? 'n/a' : `${us.toFixed(1)} µs`)

function consoleTable(results, options) {
  const lines = []
  const width = Math.max(...results.map((r) => r.label.length)) + 2
  const columns = [['req/s', 9], ['% of no auth (95 % interval)', 30], ['ferroauth ÷ it', 16], ['CPU/request', 13], ['(CPU) % of no auth', 20], ['(CPU) ferroauth ÷ it', 22], ['p50 / p99', 16]]
  for (const framework of new Set(results.map((r) => r.framework))) {
    lines.push('', `${framework}: GET /api/profile, ${options.connections} connections, ${describeTiming(options)}`)
    lines.push(`  ${'auth'.padEnd(width)}${columns.map(([name, w]) => name.padStart(w)).join('')}`)
    for (const r of results.filter((x) => x.framework === framework)) {
      if (r.skipped) {
        lines.push(`  ${r.label.padEnd(width)}skipped: ${r.skipped}`)
        continue
      }
      const own = r.contender === ownFor(r.contender)
      const cells = [
        formatNumber(r.requestsPerSecond),
        formatPercent(r.ofBaseline) + formatInterval(r.ofBaselineInterval),
        own ? '' : formatRatio(r.ferroauthRatio),
        formatMicros(r.cpuPerRequest),
        formatPercent(r.cpuOfBaseline),
        own ? '' : formatRatio(r.cpuFerroauthRatio),
        formatLatency(r),
      ]
      lines.push(`  ${r.label.padEnd(width)}${cells.map((cell, i) => cell.padStart(columns[i][1])).join('')}`)
    }
  }
  return lines.slice(1).join('\n')
}

function markdownTable(results, options) {
  const lines = [
    `Measured with \`npm run bench:http\` (\`benchmark/http.js\`: autocannon, ${options.connections} connections, ` +
      `${describeTiming(options)}; each server in its own process) on ${describeMachine()}.` +
      (options.quick ? ' **Quick run: rough numbers.**' : ''),
    '',
    '`GET /api/profile` answering `{ ok, sub }` with one valid HS256 token; every contender checks the',
    'signature, `exp`, `iss` and `aud` with the algorithm pinned to HS256. **req/s** is the throughput and',
    '"% of no auth" its share of the same route without authentication, with the 95 % confidence interval',
    'of that median in brackets (from the spread of the rounds: narrow on a quiet machine, wide on a busy',
    'one). **Server CPU per request** is the',
    'CPU time the server process spent per request (user + system), which time given to other processes',
    'does not inflate; "capacity" is the no-auth route\'s CPU per request ÷ this row\'s, the share of the',
    'no-auth throughput a CPU-bound server keeps. The "ferroauth ÷ it" columns are ferroauth\'s',
    'throughput ÷ the row\'s, and the row\'s CPU per request ÷ ferroauth\'s (above 1× means ferroauth is',
    'faster). Ratios are medians of ratios taken within each round. ferroauth runs twice: with its defaults,',
    'which remember a verified token until its `exp` (the benchmark sends one token, so it is verified once),',
    'compared with fast-jwt\'s cache; and with `cache: false`, verifying every request as the other peers do,',
    'compared with them. express-jwt and passport-jwt get the secret as a `KeyObject`, their fastest setting',
    '(given a string, jsonwebtoken 9 tries to parse it as a PEM key on every call).',
    '',
    '| Framework | Auth | req/s | % of no auth (95 % interval) | ferroauth ÷ it | server CPU per request | capacity vs no auth | ferroauth ÷ it (CPU) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  let previous
  for (const r of results) {
    const framework = r.framework === previous ? '' : r.framework
    previous = r.framework
    if (r.skipped) {
      lines.push(`| ${framework} | ${r.label} | skipped: ${r.skipped} | | | | | |`)
      continue
    }
    const own = r.contender === ownFor(r.contender)
    const bold = (text) => (own ? `**${text}**` : text)
    const ratio = (value) => (own || value === undefined ? '' : formatRatio(value).replace(/x$/, '×'))
    lines.push(`| ${framework} | ${bold(r.label)} | ${bold(formatNumber(r.requestsPerSecond))} | ${bold(formatPercent(r.ofBaseline))}${formatInterval(r.ofBaselineInterval)} | ${ratio(r.ferroauthRatio)} | ` +
      `${bold(formatMicros(r.cpuPerRequest))} | ${bold(formatPercent(r.cpuOfBaseline))} | ${ratio(r.cpuFerroauthRatio)} |`)
  }
  return lines.join('\n')
}

/**
 * The benchmark's goals: ferroauth within 5 % of no auth, and ahead of every peer,
 * judged by throughput and by server CPU per request.
 */
function goals(results) {
  const lines = []
  const verdict = (ok) => (ok ? 'met' : 'MISSED')
  for (const framework of new Set(results.map((r) => r.framework))) {
    const rows = results.filter((r) => r.framework === framework && !r.skipped)
    for (const [ownName, peers] of [['ferroauth', [...CACHED_PEERS, ...PEERS]], ['ferroauth (no cache)', PEERS]]) {
      const own = rows.find((r) => r.contender === ownName)
      if (!own || own.ofBaseline === undefined) continue
      const cost = 1 - own.ofBaseline
      const cpuCost = 1 - own.cpuOfBaseline
      const [low, high] = own.ofBaselineInterval
      lines.push(`${framework}: ${own.label} costs ${(cost * 100).toFixed(1)} % of the no-auth throughput ` +
        `(95 % interval ${((1 - high) * 100).toFixed(1)} to ${((1 - low) * 100).toFixed(1)} %), ` +
        `${(cpuCost * 100).toFixed(1)} % by CPU per request (goal: at most 5 %) -> ${verdict(cost <= 0.05)} / ${verdict(cpuCost <= 0.05)}`)
      for (const peer of rows.filter((r) => peers.includes(r.contender))) {
        const { throughput, cpu } = peer.versus[ownName] ?? {}
        lines.push(`${framework}: ${own.label} ÷ ${peer.label} = ${formatRatio(throughput)} by throughput, ` +
          `${formatRatio(cpu)} by CPU (goal: above 1) -> ${verdict(throughput > 1)} / ${verdict(cpu > 1)}`)
      }
    }
  }
  return lines.join('\n')
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  process.stderr.write(`${describeMachine()}\n`)
  const results = await run(options)
  console.log(consoleTable(results, options))
  console.log(`\n${goals(results)}`)
  publish(options, { name: 'http', json: { machine: describeMachine(), options, results }, markdown: () => markdownTable(results, options) })
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
