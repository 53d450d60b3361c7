'use strict'

// The repository's own TypeScript compiler, run on a project directory (its tsconfig.json):
// `{ status, output }`, status 0 when it compiled without errors.

const path = require('node:path')
const { execFile, spawnSync } = require('node:child_process')

const ROOT = path.join(__dirname, '..', '..')
const TYPESCRIPT = path.dirname(require.resolve('typescript/package.json', { paths: [ROOT] }))
const TSC = path.join(TYPESCRIPT, require(path.join(TYPESCRIPT, 'package.json')).bin.tsc)
const TIMEOUT_MS = 120_000

const args = (project) => [TSC, '-p', project, '--pretty', 'false']

function tsc(project) {
  return new Promise((resolve) => {
    execFile(process.execPath, args(project), { cwd: ROOT, timeout: TIMEOUT_MS }, (error, stdout, stderr) => {
      resolve({ status: error ? (error.code ?? 1) : 0, output: `${stdout}${stderr}` })
    })
  })
}

function tscSync(project) {
  const result = spawnSync(process.execPath, args(project), { cwd: ROOT, encoding: 'utf8', timeout: TIMEOUT_MS })
  return { status: result.status, output: `${result.stdout}${result.stderr}${result.error ?? ''}` }
}

module.exports = { tsc, tscSync }
