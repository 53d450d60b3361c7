'use strict'

// The install path a user takes, end to end and offline: the main package and the
// platform package for this machine are packed as they would be published, installed
// from the two tarballs into an empty directory with scripts off and no compiler on
// hand, then required (CommonJS) and imported (ESM) from there to sign and verify a token.

const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { parseTriple } = require('@napi-rs/cli')

const root = path.resolve(__dirname, '..')
const rootPackage = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
const binaryName = rootPackage.napi.binaryName
const targets = rootPackage.napi.targets.map(parseTriple)
const isWindows = process.platform === 'win32'

// The `npm/<dir>` name of the prebuilt package this machine would install.
function hostPlatformArchABI() {
  const { platform, arch } = process
  if (platform === 'linux') {
    process.report.excludeNetwork = true
    const musl = !process.report.getReport().header.glibcVersionRuntime
    return `linux-${arch}-${musl ? 'musl' : 'gnu'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

const hostABI = hostPlatformArchABI()
const hostTarget = targets.find((target) => target.platformArchABI === hostABI)
const nativeFile = `${binaryName}.${hostABI}.node`
const platformPackageName = `${rootPackage.name}-${hostABI}`

// Child processes get the caller's environment minus whatever would point them back at
// this repository or at the test runner: npm's per-script variables, NODE_PATH,
// NODE_OPTIONS and the runner's own context variable.
function cleanEnv(extra = {}) {
  const env = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || ['NODE_PATH', 'NODE_OPTIONS', 'NODE_TEST_CONTEXT', 'INIT_CWD'].includes(key)) continue
    env[key] = value
  }
  return { ...env, ...extra }
}

function npm(args, { cwd, env }) {
  const cli = process.env.npm_execpath
  const options = { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }
  if (cli && /npm-cli\.js$/.test(cli)) return execFileSync(process.execPath, [cli, ...args], options)
  return execFileSync(isWindows ? 'npm.cmd' : 'npm', args, { ...options, shell: isWindows })
}

function packFiles(json) {
  return JSON.parse(json)[0].files.map((file) => file.path)
}

describe('install from the packed tarballs', { skip: hostTarget ? false : `no prebuilt target for ${hostABI}` }, () => {
  let tmp
  let app
  let env
  let shimLog
  let mainFiles
  let platformFiles
  const mainVersion = rootPackage.version

  before(() => {
    assert.ok(
      fs.existsSync(path.join(root, nativeFile)),
      `${nativeFile} is missing from the package root: build the addon first (npm run build)`,
    )
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferroauth-install-'))
    const stage = path.join(tmp, 'stage')
    const tarballs = path.join(tmp, 'tarballs')
    const npmCache = path.join(tmp, 'npm-cache')
    app = path.join(tmp, 'app')
    for (const dir of [stage, tarballs, npmCache, app]) fs.mkdirSync(dir, { recursive: true })
    const userConfig = path.join(tmp, 'npmrc')
    fs.writeFileSync(userConfig, '')

    // Anything that would compile is replaced by a stub that records the call and fails.
    shimLog = path.join(tmp, 'compiler-calls.log')
    let pathValue = process.env.PATH
    if (!isWindows) {
      const shims = path.join(tmp, 'shims')
      fs.mkdirSync(shims)
      for (const tool of ['cargo', 'rustc', 'rustup', 'cc', 'gcc', 'g++', 'c++', 'clang', 'ld', 'make', 'cmake', 'node-gyp', 'napi']) {
        fs.writeFileSync(path.join(shims, tool), `#!/bin/sh\necho "${tool} $*" >> "${shimLog}"\nexit 1\n`, { mode: 0o755 })
      }
      pathValue = `${shims}${path.delimiter}${pathValue}`
    }
    // No network: npm runs offline against an empty cache, with an unreachable registry.
    env = cleanEnv({
      PATH: pathValue,
      npm_config_userconfig: userConfig,
      npm_config_cache: npmCache,
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_offline: 'true',
      npm_config_fetch_retries: '0',
      npm_config_update_notifier: 'false',
    })

    // Main package: the files `npm pack` selects, with the `optionalDependencies` that
    // `napi pre-publish` writes at release time (every target, at the package's version).
    const packList = packFiles(npm(['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, env }))
    const mainStage = path.join(stage, rootPackage.name)
    for (const file of packList) {
      fs.mkdirSync(path.dirname(path.join(mainStage, file)), { recursive: true })
      fs.copyFileSync(path.join(root, file), path.join(mainStage, file))
    }
    const published = { ...rootPackage, optionalDependencies: {} }
    for (const target of targets) published.optionalDependencies[`${rootPackage.name}-${target.platformArchABI}`] = mainVersion
    fs.writeFileSync(path.join(mainStage, 'package.json'), JSON.stringify(published, null, 2) + '\n')
    mainFiles = packFiles(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs], { cwd: mainStage, env }))

    // Platform package: npm/<target>/ with the built addon copied in, as `napi artifacts` does.
    const platformStage = path.join(stage, hostABI)
    fs.cpSync(path.join(root, 'npm', hostABI), platformStage, { recursive: true })
    fs.copyFileSync(path.join(root, nativeFile), path.join(platformStage, nativeFile))
    platformFiles = packFiles(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs], { cwd: platformStage, env }))

    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'install-check', version: '1.0.0', private: true }) + '\n')
    npm(
      [
        'install',
        '--offline',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        path.join(tarballs, `${rootPackage.name}-${mainVersion}.tgz`),
        path.join(tarballs, `${platformPackageName}-${mainVersion}.tgz`),
      ],
      { cwd: app, env },
    )
  })

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
  })

  function runInApp(file, source) {
    fs.writeFileSync(path.join(app, file), source)
    const out = execFileSync(process.execPath, [file], {
      cwd: app,
      env: { ...env, NAPI_RS_ENFORCE_VERSION_CHECK: '1' },
      encoding: 'utf8',
    })
    return JSON.parse(out)
  }

  it('the main tarball carries the entry points and no native binary', () => {
    for (const file of ['package.json', 'index.js', 'index.d.ts', 'binding.js', 'binding.d.ts', 'README.md']) {
      assert.ok(mainFiles.includes(file), `${file} is not in the main tarball`)
    }
    assert.deepEqual(mainFiles.filter((file) => file.endsWith('.node')), [])
    assert.ok(!mainFiles.some((file) => /^(src|npm|__test__|benchmark|target)\//.test(file)), mainFiles.join(', '))
    // Every file the exports map points at is shipped.
    const exportTargets = []
    const collect = (value) => {
      if (typeof value === 'string') exportTargets.push(value.replace(/^\.\//, ''))
      else if (value && typeof value === 'object') Object.values(value).forEach(collect)
    }
    collect(rootPackage.exports)
    assert.ok(exportTargets.length > 0, 'package.json has no exports map')
    for (const file of exportTargets) {
      assert.ok(mainFiles.includes(file), `exports points at ${file}, which is not in the main tarball`)
    }
  })

  it('the platform tarball is the addon for this machine', () => {
    assert.deepEqual([...platformFiles].sort(), [nativeFile, 'README.md', 'package.json'].sort())
    const manifest = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', platformPackageName, 'package.json'), 'utf8'))
    assert.equal(manifest.name, platformPackageName)
    assert.equal(manifest.version, mainVersion)
    assert.equal(manifest.main, nativeFile)
    assert.deepEqual(manifest.os, [hostTarget.platform])
    assert.deepEqual(manifest.cpu, [hostTarget.arch])
  })

  it('installs only the two packages', () => {
    const installed = fs.readdirSync(path.join(app, 'node_modules')).filter((name) => !name.startsWith('.'))
    assert.deepEqual(installed.sort(), [rootPackage.name, platformPackageName].sort())
    const manifest = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', rootPackage.name, 'package.json'), 'utf8'))
    assert.equal(manifest.optionalDependencies[platformPackageName], mainVersion)
  })

  it('require() signs and verifies with the addon from the platform package', () => {
    const result = runInApp(
      'check.cjs',
      `'use strict'
const assert = require('node:assert/strict')
const { TokenSigner, TokenVerifier } = require('${rootPackage.name}')
const secret = 'install-check-secret-0123456789abcdef'
const token = new TokenSigner({ secret, issuer: 'install-check', expiresIn: '5m' }).sign({ sub: 'user-1', scope: 'read' })
const outcome = new TokenVerifier({ secret, issuer: 'install-check' }).verify(token)
assert.equal(outcome.valid, true, JSON.stringify(outcome))
assert.equal(outcome.payload.sub, 'user-1')
assert.equal(new TokenVerifier({ secret: secret + '!' }).verify(token).valid, false)
process.stdout.write(JSON.stringify({
  entry: require.resolve('${rootPackage.name}'),
  natives: Object.keys(require.cache).filter((file) => file.endsWith('.node')),
}))
`,
    )
    const modules = fs.realpathSync(path.join(app, 'node_modules'))
    assert.equal(fs.realpathSync(result.entry), path.join(modules, rootPackage.name, 'index.js'))
    assert.deepEqual(
      result.natives.map((file) => fs.realpathSync(file)),
      [path.join(modules, platformPackageName, nativeFile)],
    )
  })

  it('import signs and verifies, with the same classes as require()', () => {
    const result = runInApp(
      'check.mjs',
      `import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import ferroauth, { TokenSigner, TokenVerifier } from '${rootPackage.name}'
const required = createRequire(import.meta.url)('${rootPackage.name}')
assert.equal(TokenSigner, required.TokenSigner)
assert.equal(TokenVerifier, required.TokenVerifier)
assert.equal(ferroauth, required)
const secret = 'install-check-secret-0123456789abcdef'
const token = new TokenSigner({ secret, audience: 'api' }).sign({ sub: 'user-2' })
const outcome = new TokenVerifier({ secret, audience: 'api' }).verify(token)
assert.equal(outcome.valid, true, JSON.stringify(outcome))
assert.equal(outcome.payload.sub, 'user-2')
process.stdout.write(JSON.stringify({ entry: fileURLToPath(import.meta.resolve('${rootPackage.name}')) }))
`,
    )
    const modules = fs.realpathSync(path.join(app, 'node_modules'))
    assert.equal(fs.realpathSync(result.entry), path.join(modules, rootPackage.name, 'index.js'))
  })

  it('invoked no compiler or build tool', { skip: isWindows && 'no stubs on Windows' }, () => {
    const calls = fs.existsSync(shimLog) ? fs.readFileSync(shimLog, 'utf8') : ''
    assert.equal(calls, '')
  })
})
