'use strict'

// Compiles the type tests in test-d/ with `tsc -p test-d` (strict), and checks that the
// harness can fail: a file with misuse and no `@ts-expect-error` must not compile.

const { test, describe } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
const { tsc } = require('./helpers/tsc.js')
const TEST_D = path.join(ROOT, 'test-d')

describe('TypeScript types', { concurrency: true }, () => {
  test('test-d compiles under tsc --strict (public types used as documented; misuse refused)', async () => {
    const { status, output } = await tsc(TEST_D)
    assert.equal(status, 0, `tsc -p test-d failed:\n${output}`)
  })

  test("sign() and signAccessToken() accept claims typed by an interface (spec: `sign(claims: object)`)", async () => {
    const { status, output } = await tsc(path.join(TEST_D, 'interface-claims'))
    assert.equal(status, 0, `tsc -p test-d/interface-claims failed:\n${output}`)
  })

  test('the type-test harness can fail: misuse without @ts-expect-error does not compile', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferroauth-types-'))
    try {
      fs.writeFileSync(
        path.join(dir, 'broken.test-d.ts'),
        [
          "import { TokenSigner, TokenVerifier } from 'ferroauth'",
          'type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false',
          'declare function expectType<A>(): <B>(value: B, ...check: Equal<A, B> extends true ? [] : [never]) => void',
          "new TokenSigner({ algorithm: 'none', secret: 'x' })",
          "expectType<number>()(new TokenSigner({ secret: 'x' }).sign({}))",
          "const result = new TokenVerifier({ secret: 'x' }).verify('t')",
          'result.payload',
          '',
        ].join('\n'),
      )
      fs.writeFileSync(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({ extends: path.join(TEST_D, 'tsconfig.json'), include: [], files: ['broken.test-d.ts'] }),
      )
      const { status, output } = await tsc(dir)
      assert.notEqual(status, 0, 'a broken file compiled')
      for (const line of [4, 5, 7]) {
        assert.match(output, new RegExp(`broken\\.test-d\\.ts\\(${line},\\d+\\): error TS`), `no error on line ${line}:\n${output}`)
      }
      assert.doesNotMatch(output, /Cannot find module 'ferroauth'/, output)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
