'use strict'

// The command line every benchmark shares: --quick, --markdown, --update-readme (which implies
// --markdown), --json FILE and --help, plus flags of the script's own.

const fs = require('node:fs')

/** Prints the script's opening comment (`/* ... *\/` or `//` lines after 'use strict'). */
function printUsage(script) {
  const lines = fs.readFileSync(script, 'utf8').split('\n')
  const start = lines.findIndex((line) => line.startsWith('/*') || line.startsWith('//'))
  let end = start
  while (end < lines.length && /^(\/\*|\/\/| \*(?!\/))/.test(lines[end])) end++
  const text = lines.slice(start, end).filter((line) => line !== '/*').map((line) => line.replace(/^(\/\/| \*) ?/, ''))
  process.stdout.write(text.join('\n') + '\n')
}

/**
 * `{ quick, markdown, updateReadme, json, ...defaults }` from `argv`. `flags` maps each flag of
 * the script's own to `(args, value) => void`, where `value()` takes the flag's argument.
 * `script` is the file whose opening comment `--help` prints.
 */
function parseBenchArgs(argv, script, { defaults = {}, flags = {} } = {}) {
  const args = { quick: false, markdown: false, updateReadme: false, json: undefined, ...defaults }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const value = () => {
      const next = argv[++i]
      if (next === undefined) throw new Error(`${arg} needs a value`)
      return next
    }
    if (arg === '--quick') args.quick = true
    else if (arg === '--markdown') args.markdown = true
    else if (arg === '--update-readme') args.updateReadme = args.markdown = true
    else if (arg === '--json') args.json = value()
    else if (arg === '--help' || arg === '-h') {
      printUsage(script)
      process.exit(0)
    } else if (Object.hasOwn(flags, arg)) flags[arg](args, value)
    else throw new Error(`unknown argument ${arg} (try --help)`)
  }
  return args
}

module.exports = { parseBenchArgs }
