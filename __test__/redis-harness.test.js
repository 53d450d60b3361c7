'use strict'

// The Redis test harness itself (helpers/redis.js): real servers start on free loopback
// ports, die and come back on the same port, form a cluster, and leave nothing behind.

const { test, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const net = require('node:net')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const { startRedis, startRedisCluster } = require('./helpers/redis.js')

const started = []
after(async () => {
  await Promise.all(started.map((server) => server.stop()))
})

/** Resolves with the first reply line to a raw `PING`, or rejects with the socket error. */
function ping(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.setTimeout(1000, () => socket.destroy(new Error('timeout')))
    socket.once('error', reject)
    socket.once('data', (data) => {
      socket.destroy()
      resolve(data.toString().split('\r\n')[0])
    })
    socket.write('PING\r\n')
  })
}

/** Whether the process runs (a zombie left to an init that does not reap counts as dead). */
function alive(pid) {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3))
  } catch {
    return process.platform !== 'linux'
  }
}

/** Waits up to a second for a SIGKILLed process (not our child) to be gone. */
async function dead(pid) {
  for (let i = 0; i < 40 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 25))
  return !alive(pid)
}

test('a server starts on a free loopback port, answers PING and keeps data', async () => {
  const redis = await startRedis()
  started.push(redis)
  assert.equal(redis.host, '127.0.0.1')
  assert.ok(Number.isInteger(redis.port) && redis.port > 0)
  assert.equal(redis.url, `redis://127.0.0.1:${redis.port}`)
  assert.ok(alive(redis.pid))
  assert.equal(await ping(redis.port), '+PONG')

  assert.equal(redis.cli('SET', 'harness:key', 'value').trim(), 'OK')
  assert.equal(redis.cli('GET', 'harness:key').trim(), 'value')
  assert.equal(redis.cli('SET', 'harness:ttl', 'v', 'EX', '100').trim(), 'OK')
  const ttl = Number(redis.cli('TTL', 'harness:ttl').trim())
  assert.ok(ttl > 90 && ttl <= 100, `TTL ${ttl}`)
  assert.deepEqual(redis.cli('KEYS', 'harness:*').trim().split('\n').sort(), ['harness:key', 'harness:ttl'])
  // Started as asked: nothing saved, loopback only.
  assert.match(redis.cli('CONFIG', 'GET', 'save'), /^save\n\n$/)
  assert.match(redis.cli('CONFIG', 'GET', 'appendonly'), /^appendonly\nno\n$/)
  assert.match(redis.cli('CONFIG', 'GET', 'bind'), /^bind\n127\.0\.0\.1\n$/)
  assert.equal(redis.cli('CONFIG', 'GET', 'dir').split('\n')[1], fs.realpathSync(redis.dir))
})

test('kill() refuses connections; restart() brings an empty server back on the same port', async () => {
  const redis = await startRedis()
  started.push(redis)
  const { port, pid } = redis
  redis.cli('SET', 'before', 'crash')

  await redis.kill()
  assert.equal(alive(pid), false)
  await assert.rejects(ping(port), { code: 'ECONNREFUSED' })

  await redis.restart()
  assert.equal(redis.port, port)
  assert.notEqual(redis.pid, pid)
  assert.equal(await ping(port), '+PONG')
  assert.equal(redis.cli('EXISTS', 'before').trim(), '0')
})

test('stop() shuts the server down and removes its directory', async () => {
  const redis = await startRedis({ args: ['--maxmemory', '10mb'] })
  assert.equal(redis.cli('CONFIG', 'GET', 'maxmemory').split('\n')[1], String(10 * 1024 * 1024))
  const { pid, dir, port } = redis
  assert.ok(fs.existsSync(dir))
  await redis.stop()
  assert.equal(alive(pid), false)
  assert.equal(fs.existsSync(dir), false)
  await assert.rejects(ping(port), { code: 'ECONNREFUSED' })
})

test('a three-node cluster reaches cluster_state:ok and places keys by slot', async () => {
  const cluster = await startRedisCluster({ nodes: 3 })
  started.push(cluster)
  assert.equal(cluster.urls.length, 3)
  assert.equal(new Set(cluster.urls).size, 3)
  for (const [i, url] of cluster.urls.entries()) {
    const server = cluster.servers[i]
    assert.equal(url, `redis://127.0.0.1:${server.port}`)
    assert.ok(server.port + 10000 <= 65535)
    const info = server.cli('CLUSTER', 'INFO')
    assert.match(info, /cluster_state:ok/)
    assert.match(info, /cluster_slots_assigned:16384/)
    assert.match(info, /cluster_known_nodes:3/)
  }

  // Through redis-cli -c (follows MOVED), from every node, for keys in different slots.
  const keys = ['{a}:one', '{b}:two', '{c}:three', '{d}:four']
  for (const [i, key] of keys.entries()) {
    const entry = cluster.servers[i % 3]
    assert.equal(entry.cli('-c', 'SET', key, `value-${i}`).trim(), 'OK')
  }
  let total = 0
  for (const server of cluster.servers) total += Number(server.cli('DBSIZE').trim())
  assert.equal(total, keys.length)
  for (const [i, key] of keys.entries()) {
    const slot = cluster.servers[0].cli('CLUSTER', 'KEYSLOT', key).trim()
    // Exactly one node holds the key: the one that owns its slot, and it answers without a redirect.
    const owners = cluster.servers.filter((s) => s.cli('CLUSTER', 'COUNTKEYSINSLOT', slot).trim() === '1')
    assert.equal(owners.length, 1, `${key} (slot ${slot})`)
    assert.equal(owners[0].cli('GET', key).trim(), `value-${i}`)
  }
})

test('servers left running are killed and their directories removed when the process ends', async () => {
  const script = `
    const { startRedis } = require(${JSON.stringify(path.join(__dirname, 'helpers', 'redis.js'))})
    startRedis().then((redis) => {
      console.log(JSON.stringify({ pid: redis.pid, dir: redis.dir }))
      process.exit(0)
    })`
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 15_000 })
  assert.equal(child.status, 0, child.stderr)
  const { pid, dir } = JSON.parse(child.stdout)
  assert.ok(await dead(pid), `redis-server ${pid} still runs`)
  assert.equal(fs.existsSync(dir), false)
})

test('servers are also cleaned up when the process is ended by a signal', async () => {
  const script = `
    const { startRedis } = require(${JSON.stringify(path.join(__dirname, 'helpers', 'redis.js'))})
    startRedis().then((redis) => {
      console.log(JSON.stringify({ pid: redis.pid, dir: redis.dir }))
      process.kill(process.pid, 'SIGTERM')
      setTimeout(() => {}, 10_000)
    })`
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 15_000 })
  assert.equal(child.signal, 'SIGTERM', child.stderr)
  const { pid, dir } = JSON.parse(child.stdout)
  assert.ok(await dead(pid), `redis-server ${pid} still runs`)
  assert.equal(fs.existsSync(dir), false)
})

test('a missing redis-server is an error that says how to install it, in CI and out of it', async () => {
  const saved = { REDIS_SERVER: process.env.REDIS_SERVER, PATH: process.env.PATH, CI: process.env.CI }
  try {
    delete process.env.REDIS_SERVER
    process.env.PATH = path.join(__dirname, 'no-such-dir')
    delete process.env.CI
    await assert.rejects(startRedis(), /redis-server not found on PATH.*apt-get install redis-server/)
    process.env.CI = 'true'
    await assert.rejects(startRedis(), /redis-server not found on PATH; CI must provide it/)
    process.env.PATH = saved.PATH
    process.env.REDIS_SERVER = path.join(__dirname, 'no-such-redis-server')
    await assert.rejects(startRedis(), /\$REDIS_SERVER is .*no-such-redis-server, which is not an executable file/)
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
})
