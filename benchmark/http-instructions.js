'use strict'

// Instructions per request of the HTTP benchmark's servers, counted by valgrind's callgrind.
// Unlike requests/s, the count does not move with the machine's load, so small differences
// between contenders (the cost of one property on a request, of one lookup) show.
//
//   node benchmark/http-instructions.js [--only express,nest] [--contenders no-auth,ferroauth,...]
//        [--warmup n=30000] [--requests n=6000] [--windows n=3] [--jobs n=CPUs] [--markdown] [--update-readme] [--json FILE]
//
// Needs valgrind (Debian: apt-get install valgrind). Each server (benchmark/http-server.js) runs
// under callgrind; after --warmup requests (so V8 has optimised the hot code) it is counted in
// --windows windows of --requests keep-alive requests sent one at a time, and the median window's
// count, divided by its requests, is the row. A window still moves by a percent or two (which
// collections fall in it), and counts go on falling well past 20,000 requests of warm-up: compare
// rows of one run. Slow: several minutes per contender; --jobs servers are counted at once (the
// counts do not depend on the machine's load).

const http = require('node:http')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawn, execFileSync } = require('node:child_process')
const { parseBenchArgs } = require('./lib/args.js')
const { median } = require('./lib/stats.js')
const { machineLine, publish } = require('./lib/report.js')

const ROOT = path.join(__dirname, '..')
const { TOKEN, SERVER_ENV } = require('./lib/http-token.js')
const FRAMEWORKS = {
  express: { name: 'Express 5', contenders: ['no auth', 'req.user only', 'ferroauth', 'ferroauth (no cache)', 'fast-jwt', 'express-jwt'] },
  nest: { name: `NestJS ${require('@nestjs/core/package.json').version.split('.')[0]}`, contenders: ['no auth', 'no-op guard', 'req.user only', 'ferroauth', 'ferroauth (no cache)', 'fast-jwt'] },
}
const LABELS = {
  'req.user only': 'req.user only (the floor of any auth)',
  'no-op guard': 'no-op guard',
  ferroauth: '**ferroauth** (defaults: verified-token cache)',
  'ferroauth (no cache)': '**ferroauth**, cache: false',
  'fast-jwt': 'fast-jwt (hand-written, no cache)',
}
const VERSIONED = ['express', '@nestjs/core', 'express-jwt', 'fast-jwt']
const slug = (name) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')

function parseArgs(argv) {
  return parseBenchArgs(argv, __filename, {
    defaults: { only: undefined, contenders: undefined, warmup: 30000, requests: 6000, windows: 3, jobs: os.availableParallelism() },
    flags: {
      '--only': (options, value) => { options.only = value().split(',') },
      '--contenders': (options, value) => { options.contenders = value().split(',').map(slug) },
      '--warmup': (options, value) => { options.warmup = Number(value()) },
      '--requests': (options, value) => { options.requests = Number(value()) },
      '--windows': (options, value) => { options.windows = Number(value()) },
      '--jobs': (options, value) => { options.jobs = Number(value()) },
    },
  })
}

function hasValgrind() {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Sends `count` GETs one after another on one keep-alive connection; each must answer 200. */
function sendRequests(url, token, count) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  return new Promise((resolve, reject) => {
    let done = 0
    const next = () => {
      http.get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
        if (res.statusCode !== 200) {
          agent.destroy()
          reject(new Error(`${url} answered ${res.statusCode}`))
          return
        }
        res.resume()
        res.on('end', () => {
          if (++done < count) next()
          else {
            agent.destroy()
            resolve()
          }
        })
      }).on('error', reject)
    }
    next()
  })
}

function waitForListening(server, logFile) {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const match = fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').match(/listening on (http:\S+)/)
      if (match) {
        clearInterval(timer)
        resolve(match[1])
      }
    }, 250)
    server.once('exit', (code) => {
      clearInterval(timer)
      reject(new Error(`the server exited (${code}) before listening`))
    })
  })
}

async function count(framework, contender, token, options) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferroauth-instructions-'))
  const log = path.join(dir, 'server.log')
  const server = spawn('valgrind', [
    '--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${path.join(dir, 'callgrind.%p')}`,
    process.execPath, path.join(__dirname, 'http-server.js'), framework, contender,
  ], {
    cwd: ROOT,
    env: { ...process.env, ...SERVER_ENV },
    stdio: ['ignore', fs.openSync(log, 'w'), fs.openSync(path.join(dir, 'valgrind.log'), 'w')],
  })
  try {
    const url = await waitForListening(server, log)
    await sendRequests(url, token, options.warmup)
    const windows = []
    for (let window = 1; window <= options.windows; window++) {
      execFileSync('callgrind_control', ['-z', String(server.pid)], { stdio: 'ignore' })
      await sendRequests(url, token, options.requests)
      execFileSync('callgrind_control', ['-d', String(server.pid)], { stdio: 'ignore' })
      // Each dump after zeroing (callgrind.<pid>.<n>) holds only that window's requests.
      const dump = path.join(dir, `callgrind.${server.pid}.${window}`)
      const totals = fs.readFileSync(dump, 'utf8').match(/^(?:totals|summary): (\d+)/m)
      if (!totals) throw new Error(`no totals in ${dump}`)
      windows.push(Number(totals[1]) / options.requests)
    }
    return { instructions: median(windows), windows }
  } finally {
    server.kill('SIGTERM')
    await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.once('exit', resolve)))
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

function markdownTable(results, options) {
  const lines = [
    `Counted with \`npm run bench:http:instructions\` (\`benchmark/http-instructions.js\`: callgrind, keep-alive requests one at a time, ` +
      `${options.warmup.toLocaleString('en-US')} of warm-up, then the median of ${options.windows} windows of ${options.requests.toLocaleString('en-US')}; ` +
      `a row moves by a percent or two from run to run, so compare rows of one run) on ${machineLine({ peers: VERSIONED })}.`,
    '',
    '| Framework | Auth | instructions a request | over no auth |',
    '| --- | --- | ---: | ---: |',
  ]
  let framework
  for (const row of results) {
    const over = row.contender === 'no auth' || row.base === undefined
      ? ''
      : `${row.instructions < row.base ? '−' : '+'}${Math.abs(Math.round(row.instructions - row.base)).toLocaleString('en-US')} ` +
        `(${(Math.abs(row.instructions / row.base - 1) * 100).toFixed(1)} %)`
    lines.push(`| ${row.framework === framework ? '' : row.frameworkName} | ${LABELS[row.contender] ?? row.contender} | ${Math.round(row.instructions).toLocaleString('en-US')} | ${over} |`)
    framework = row.framework
  }
  return lines.join('\n')
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  if (!hasValgrind()) {
    console.error('valgrind is not installed (Debian: apt-get install valgrind)')
    process.exitCode = 1
    return
  }
  process.stderr.write(`${machineLine({ peers: VERSIONED })}\n`)
  const cases = []
  for (const [framework, { name, contenders }] of Object.entries(FRAMEWORKS)) {
    if (options.only && !options.only.includes(framework)) continue
    for (const contender of contenders) {
      if (options.contenders && contender !== 'no auth' && !options.contenders.includes(slug(contender))) continue
      cases.push({ framework, frameworkName: name, contender })
    }
  }
  let next = 0
  const worker = async () => {
    while (next < cases.length) {
      const row = cases[next++]
      Object.assign(row, await count(row.framework, row.contender, TOKEN, options))
      const windows = row.windows.map((n) => Math.round(n).toLocaleString('en-US')).join(', ')
      process.stderr.write(`${row.frameworkName}: ${row.contender}: ${Math.round(row.instructions).toLocaleString('en-US')} instructions a request (windows: ${windows})\n`)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, options.jobs) }, worker))
  const results = cases.map((row) => ({
    ...row,
    base: cases.find((c) => c.framework === row.framework && c.contender === 'no auth')?.instructions,
  }))
  publish({ ...options, markdown: true }, {
    name: 'http-instructions',
    json: { machine: machineLine({ peers: VERSIONED }), options, results },
    markdown: () => markdownTable(results, options),
  })
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
