'use strict'

// Child process for the cross-process race: rotates one token N times at once through its
// own RedisStore and prints how the attempts ended.
// Usage: node rotate-many.js <redis url> <key prefix> <token> <n>

const { RefreshTokenManager, RedisStore } = require('../..')

async function main() {
  const [url, keyPrefix, token, n] = process.argv.slice(2)
  const manager = new RefreshTokenManager({ store: new RedisStore({ url, keyPrefix }) })
  const results = await Promise.allSettled(Array.from({ length: Number(n) }, () => manager.rotate(token)))
  const tally = { ok: 0, reused: 0, revoked: 0, other: [] }
  for (const r of results) {
    if (r.status === 'fulfilled') tally.ok++
    else if (r.reason.code === 'ERR_REFRESH_REUSED') tally.reused++
    else if (r.reason.code === 'ERR_REFRESH_REVOKED') tally.revoked++
    else tally.other.push(r.reason.code ?? String(r.reason))
  }
  process.stdout.write(JSON.stringify(tally))
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
