'use strict'

// `cargo test --release` built for the same target as `npm run build`.
//
// `napi build --release` always passes `--target` (the host triple unless told otherwise),
// so its output lands in target/<triple>/release; a plain `cargo test --release` would build
// into target/release and compile every dependency (aws-lc-sys's C code above all) a second
// time. Naming the same target, profile and features makes the two share one build: only the
// ferroauth crate itself is compiled again. Extra arguments are passed on to `cargo test`.
//
// Usage: node scripts/cargo-test.js [cargo test arguments...]

const { execFileSync, spawnSync } = require('node:child_process')

/** The target `napi build` picks: $CARGO_BUILD_TARGET, else the host triple of `rustc -vV`. */
function buildTarget() {
  if (process.env.CARGO_BUILD_TARGET) return process.env.CARGO_BUILD_TARGET
  const version = execFileSync('rustc', ['-vV'], { encoding: 'utf8' })
  const host = /^host: (\S+)$/m.exec(version)
  if (!host) throw new Error(`no "host:" line in the output of rustc -vV:\n${version}`)
  return host[1]
}

const args = ['test', '--release', '--target', buildTarget(), ...process.argv.slice(2)]
console.error(`> cargo ${args.join(' ')}`)
const result = spawnSync('cargo', args, { stdio: 'inherit' })
if (result.error) throw result.error
process.exitCode = result.status ?? 1
