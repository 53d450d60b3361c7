'use strict'

// The stores every store-backed suite runs on: a MemoryStore, a RedisStore on a redis-server of
// the suite's own, and a RedisStore on a three-node Redis Cluster. The servers start before the
// suite's tests and stop after them; each RedisStore gets a key prefix of its own.

const crypto = require('node:crypto')
const { before, after } = require('node:test')
const { MemoryStore, RedisStore } = require('../../index.js')
const { startRedis, startRedisCluster } = require('./redis.js')

/**
 * Registers the servers' start and stop with node:test and returns `{ servers, stores }`:
 * `servers.redis` / `servers.cluster` (from ./redis.js, set once the suite starts) and
 * `stores`, one factory per kind (`memory`, `redis`, `cluster`) for `describe` loops.
 */
function storesUnderTest() {
  const servers = { redis: undefined, cluster: undefined }
  before(async () => {
    servers.redis = await startRedis()
    servers.cluster = await startRedisCluster({ nodes: 3 })
  })
  after(async () => {
    await servers.redis?.stop()
    await servers.cluster?.stop()
  })
  const stores = {
    memory: () => new MemoryStore(),
    redis: () => new RedisStore({ url: servers.redis.url, keyPrefix: `t${crypto.randomUUID()}:` }),
    cluster: () => new RedisStore({ cluster: servers.cluster.urls, keyPrefix: `t${crypto.randomUUID()}:` }),
  }
  return { servers, stores }
}

module.exports = { storesUnderTest }
