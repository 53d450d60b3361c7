'use strict'

// A child process for the rate-limit tests: `count` concurrent consumes of one key on its own
// RedisStore, printing how many were allowed as JSON.
// Usage: node consume-many.js REDIS_URL KEY_PREFIX LIMIT KEY COUNT

const { RateLimiter, RedisStore } = require('../..')

const [url, keyPrefix, limit, key, count] = process.argv.slice(2)
const limiter = new RateLimiter({ store: new RedisStore({ url, keyPrefix }), limit: Number(limit), window: '1m' })

Promise.all(Array.from({ length: Number(count) }, () => limiter.consume(key))).then(
  (results) => process.stdout.write(JSON.stringify({ allowed: results.filter((r) => r.allowed).length })),
  (error) => {
    process.stderr.write(`${error.stack}\n`)
    process.exit(1)
  },
)
