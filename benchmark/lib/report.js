'use strict'

// Formatting of benchmark results: the console table, the Markdown table for README.md,
// the machine description, and the marker-delimited README update.

const os = require('node:os')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const PEERS = ['jose', 'fast-jwt', 'jsonwebtoken', '@node-rs/jsonwebtoken', 'mitata']

/** A dependency's version, found from its entry point (some packages do not export package.json). */
function packageVersion(name) {
  try {
    let dir = path.dirname(require.resolve(name, { paths: [__dirname] }))
    while (dir !== path.dirname(dir)) {
      const file = path.join(dir, 'package.json')
      if (fs.existsSync(file)) {
        const pkg = JSON.parse(fs.readFileSync(file, 'utf8'))
        if (pkg.name === name) return pkg.version
      }
      dir = path.dirname(dir)
    }
  } catch {}
  return '?'
}

function ferroauthRevision() {
  const root = path.join(__dirname, '..', '..')
  const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    return `${version} (${commit})`
  } catch {
    return version
  }
}

/**
 * One line naming the machine, Node, the date and every library version in the run: `peers`
 * are package names; `details` go after the Node version (thread pool, server versions);
 * `simd` says whether the CPU has AVX2 (for the hashing benchmarks).
 */
function machineLine({ peers = PEERS, details = [], simd = false } = {}) {
  const cpus = os.cpus()
  let cpu = cpus.length ? cpus[0].model.trim().replace(/\s+/g, ' ') : 'unknown CPU'
  if (simd) {
    try {
      const flags = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1].split(' ') ?? []
      if (flags.length) cpu += flags.includes('avx2') ? ' (AVX2)' : ' (no AVX2)'
    } catch {}
  }
  const date = new Date().toISOString().slice(0, 10)
  const versions = [`ferroauth ${ferroauthRevision()}`, ...peers.map((name) => `${name} ${packageVersion(name)}`)]
  const node = [`Node ${process.version}`, ...details].join(', ')
  return `${cpu}, ${cpus.length} cores, ${os.type()} ${os.arch()}, ${node}, ${date}; ${versions.join(', ')}`
}

const formatOps = (ops) => Math.round(ops).toLocaleString('en-US')
const formatRatio = (ratio) => `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}x`

/** Groups results by (algorithm, operation), keeping run order, with ferroauth's row first. */
function groups(results) {
  const byKey = new Map()
  for (const r of results) {
    const key = `${r.alg} ${r.op}`
    if (!byKey.has(key)) byKey.set(key, { alg: r.alg, op: r.op, rows: [] })
    byKey.get(key).rows.push(r)
  }
  for (const g of byKey.values()) {
    const own = g.rows.find((r) => r.library.startsWith('ferroauth'))
    g.rows = [own, ...g.rows.filter((r) => r !== own)].filter(Boolean)
    g.own = own
  }
  return [...byKey.values()]
}

const ratioOf = (g, r) => (g.own ? formatRatio(g.own.opsPerSec / r.opsPerSec) : 'n/a')

/** The console table: one block per (algorithm, operation), one row per library. */
function table(results) {
  const lines = []
  const width = Math.max(...results.map((r) => r.library.length), 'library'.length) + 2
  for (const g of groups(results)) {
    lines.push('', `${g.alg} ${g.op}`)
    lines.push(`  ${'library'.padEnd(width)}${'ops/s'.padStart(12)}${'ferroauth ÷ it'.padStart(17)}`)
    for (const r of g.rows) {
      lines.push(`  ${r.library.padEnd(width)}${formatOps(r.opsPerSec).padStart(12)}${ratioOf(g, r).padStart(17)}`)
    }
  }
  return lines.slice(1).join('\n')
}

/** The Markdown section for README.md. */
function markdownTable(results, { machine, skipped = [], quick = false, rounds = 1 }) {
  const best = rounds > 1 ? `best of ${rounds} rounds` : 'one round'
  const lines = [
    `Measured with \`npm run bench\` (\`benchmark/jwt.js\`, mitata, ${best}) on ${machine}.${quick ? ' **Quick run: rough numbers.**' : ''}`,
    '',
    'Higher ops/s is better; the last column is ferroauth ops/s ÷ the library\'s ops/s (above 1× means ferroauth is faster).',
    'Every verifier checks the signature, `exp`, `iss` and `aud` of one valid ferroauth token (typ `at+jwt`); the cached rows verify that same token repeatedly.',
    'The node:crypto floor is HMAC / `crypto.sign` + base64url + `JSON.parse` with no claim checks beyond `exp`.',
    '',
    '| Algorithm | Operation | Library | ops/s | ferroauth ÷ library |',
    '| --- | --- | --- | ---: | ---: |',
  ]
  for (const g of groups(results)) {
    g.rows.forEach((r, i) => {
      const own = r === g.own
      const name = own ? `**${r.library}**` : r.library
      const ops = own ? `**${formatOps(r.opsPerSec)}**` : formatOps(r.opsPerSec)
      lines.push(`| ${i === 0 ? g.alg : ''} | ${i === 0 ? g.op : ''} | ${name} | ${ops} | ${ratioOf(g, r).replace(/x$/, '×')} |`)
    })
  }
  if (skipped.length) {
    lines.push('', 'Not compared: ' + skipped.map((s) => `${s.library} ${s.alg} (${s.why})`).join('; ') + '.')
  }
  return lines.join('\n')
}

/**
 * Replaces the text between `<!-- NAME:start -->` and `<!-- NAME:end -->` in a file, leaving
 * everything else byte for byte. Returns false (and writes nothing) when the markers are absent.
 */
function replaceBetweenMarkers(file, name, body) {
  const text = fs.readFileSync(file, 'utf8')
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const i = text.indexOf(start)
  const j = text.indexOf(end, i + start.length)
  if (i < 0 || j < 0) return false
  const updated = `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`
  if (updated !== text) fs.writeFileSync(file, updated)
  return true
}

/**
 * What --json, --markdown and --update-readme ask for: `json` (the raw results) written to the
 * --json file; `markdown()` printed, and put into README.md between the
 * <!-- bench:<name>:start --> / <!-- bench:<name>:end --> markers.
 */
function publish(args, { name, json, markdown }) {
  if (args.json) fs.writeFileSync(args.json, `${JSON.stringify(json, null, 2)}\n`)
  if (!args.markdown) return
  const md = markdown()
  process.stdout.write(`\n${md}\n`)
  if (!args.updateReadme) return
  const readme = path.join(__dirname, '..', '..', 'README.md')
  const marker = `bench:${name}`
  const done = fs.existsSync(readme) && replaceBetweenMarkers(readme, marker, md)
  process.stderr.write(done
    ? `updated the table in ${readme}\n`
    : `no <!-- ${marker}:start --> / <!-- ${marker}:end --> markers in ${readme}; nothing written\n`)
}

module.exports = { machineLine, table, markdownTable, replaceBetweenMarkers, publish }
