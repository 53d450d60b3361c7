'use strict'

// Completes package-lock.json with the per-platform packages of native dev dependencies
// (`@napi-rs/*-darwin-arm64`, `*-win32-x64-msvc`, ...) when the registry this lockfile was
// written against did not serve them. npm then leaves them out of the lockfile, and
// `npm ci` refuses it as out of sync with package.json. Each missing package gets the
// entry npm would write, less the integrity hash: its exact version and the os/cpu/libc
// that make npm skip it on every other machine (on its own platform npm fetches it by
// name and version as usual).
//
//   node .ci/complete-lockfile.js [package-lock.json]

const fs = require('node:fs')
const path = require('node:path')

const file = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'package-lock.json'))
const lock = JSON.parse(fs.readFileSync(file, 'utf8'))

// The platform suffix napi-rs gives its packages, as npm's os/cpu/libc fields.
function platformOf(name) {
  const m = /-(android|darwin|freebsd|linux|win32|wasm32)-([a-z0-9]+)(?:-([a-z0-9]+))?$/.exec(name)
  if (!m) return null
  const [, os, arch, abi] = m
  if (os === 'wasm32') return { cpu: ['wasm32'] }
  const fields = { os: [os], cpu: [arch] }
  if (os === 'linux') fields.libc = [abi && abi.startsWith('musl') ? 'musl' : 'glibc']
  return fields
}

const packages = lock.packages
const added = []
for (const [location, entry] of Object.entries(packages)) {
  if (location === '' || !entry.optionalDependencies) continue
  for (const [name, spec] of Object.entries(entry.optionalDependencies)) {
    if (packages[`node_modules/${name}`]) continue
    const platform = platformOf(name)
    if (!platform || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) {
      throw new Error(`${name}@${spec} (optional dependency of ${location}) is missing and is not a pinned platform package`)
    }
    const stub = { version: spec }
    if (platform.cpu) stub.cpu = platform.cpu
    if (entry.dev) stub.dev = true
    if (platform.libc) stub.libc = platform.libc
    stub.optional = true
    if (platform.os) stub.os = platform.os
    packages[`node_modules/${name}`] = stub
    added.push(`${name}@${spec}`)
  }
}

const sorted = {}
for (const key of Object.keys(packages).sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b, 'en')))) {
  sorted[key] = packages[key]
}
lock.packages = sorted
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n')
console.log(added.length ? `added ${added.length}: ${added.join(' ')}` : 'nothing missing')
