'use strict'

// `npm run demo`: builds the native addon when it is missing (a fresh clone), then starts
// the demo server. Only this bootstrap looks at the build; server.js uses the public API.

const path = require('node:path')
const { spawnSync } = require('node:child_process')

const ROOT = path.join(__dirname, '..', '..')

function addonLoads() {
  try {
    require(path.join(ROOT, 'binding.js'))
    return true
  } catch (error) {
    return error
  }
}

const loaded = addonLoads()
if (loaded !== true) {
  console.log(`The native addon is not built yet (${loaded.message.split('\n')[0]}).`)
  console.log('Running `npm run build` (needs a Rust toolchain; takes a few minutes the first time)...\n')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const build = spawnSync(npm, ['run', 'build'], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' })
  if (build.status !== 0) {
    console.error('\n`npm run build` failed; see the output above. Install Rust from https://rustup.rs and try again.')
    process.exit(build.status ?? 1)
  }
  const retried = addonLoads()
  if (retried !== true) {
    console.error(`The addon was built but does not load: ${retried.message}`)
    process.exit(1)
  }
}

require('./server.js').start().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
