'use strict'

// How store calls live with the Node process around them: a pending call keeps the process
// alive until it settles, an idle store keeps nothing alive, worker threads have stores of
// their own, and a worker terminated with calls in flight takes nothing else down. Each case
// runs in a child process or a worker, against a real redis-server on a loopback port.

const { test, describe, before, after } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { Worker } = require('node:worker_threads')
const { promisify } = require('node:util')

const { RefreshTokenManager, RedisStore, MemoryStore } = require('..')
const { startRedis } = require('./helpers/redis.js')

const ROOT = path.join(__dirname, '..')
const run = (source, ...args) =>
  promisify(execFile)(process.execPath, ['-e', source, ...args], { cwd: ROOT, timeout: 60_000 })

let redis
before(async () => {
  redis = await startRedis()
})
after(async () => {
  await redis?.stop()
})

describe('store calls and the process', () => {
  test('a pending call keeps the process alive until it settles; then the process exits by itself', async () => {
    // Nothing else holds the event loop: if the pending call did not, the process would exit
    // before printing, with code 0 and no output.
    const source = `
      const { RedisStore, RefreshTokenManager } = require('.')
      const store = new RedisStore({ url: process.argv[1], keyPrefix: 'life:' })
      const refresh = new RefreshTokenManager({ store })
      store.ping()
        .then(() => refresh.issue('p-1'))
        .then((issued) => refresh.rotate(issued.token))
        .then((rotated) => console.log('rotated', rotated.userId))`
    const { stdout } = await run(source, redis.url)
    assert.equal(stdout.trim(), 'rotated p-1')
  })

  test('a call to a server that never answers settles with a coded error, and the process still exits', async () => {
    const source = `
      const { RedisStore } = require('.')
      new RedisStore({ url: 'redis://127.0.0.1:1', connectTimeout: 0.2, commandTimeout: 0.3 })
        .ping()
        .then(() => console.log('answered?'), (error) => console.log(error.code))`
    const { stdout } = await run(source)
    assert.equal(stdout.trim(), 'ERR_STORE_UNAVAILABLE')
  })

  test('a store made and used once, then left idle, does not hold the process open', async () => {
    const source = `
      const { RedisStore, MemoryStore, RefreshTokenManager } = require('.')
      const idle = new RedisStore({ url: process.argv[1] })
      const memory = new RefreshTokenManager({ store: new MemoryStore() })
      Promise.all([idle.ping(), memory.issue('m-1')]).then(() => console.log('done'))`
    const { stdout } = await run(source, redis.url)
    assert.equal(stdout.trim(), 'done')
  })
})

describe('worker threads', () => {
  const workerSource = `
    const { parentPort, workerData } = require('node:worker_threads')
    const { RedisStore, RefreshTokenManager } = require(workerData.root)
    const refresh = new RefreshTokenManager({ store: new RedisStore({ url: workerData.url, keyPrefix: 'worker:' }) })
    ;(async () => {
      const issued = await refresh.issue(workerData.user)
      const rotated = await refresh.rotate(issued.token)
      parentPort.postMessage({ userId: rotated.userId })
      if (workerData.flood) {
        // Keep calls in flight until terminated.
        for (;;) await Promise.all(Array.from({ length: 32 }, () => refresh.issue(workerData.user)))
      }
    })()`

  const startWorker = (data) => new Worker(workerSource, { eval: true, workerData: { root: ROOT, url: redis.url, ...data } })
  const firstMessage = (worker) =>
    new Promise((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })

  test('each worker has its own stores, and their promises settle on its own thread', async () => {
    const workers = ['w-1', 'w-2', 'w-3'].map((user) => startWorker({ user }))
    // Listen for the exits now: a worker may finish before its message is read.
    const exits = Promise.all(workers.map((w) => new Promise((resolve) => w.once('exit', resolve))))
    const messages = await Promise.all(workers.map(firstMessage))
    assert.deepEqual(messages.map((m) => m.userId), ['w-1', 'w-2', 'w-3'])
    assert.deepEqual(await exits, [0, 0, 0])
  })

  test('a worker terminated with calls in flight: this thread and its stores carry on', async () => {
    const refresh = new RefreshTokenManager({ store: new RedisStore({ url: redis.url, keyPrefix: 'main:' }) })
    const memory = new RefreshTokenManager({ store: new MemoryStore() })
    for (let round = 0; round < 3; round++) {
      const worker = startWorker({ user: `flood-${round}`, flood: true })
      await firstMessage(worker)
      await new Promise((resolve) => setTimeout(resolve, 20))
      // Calls of this thread in flight while the worker goes away.
      const ours = Array.from({ length: 16 }, (_, i) => refresh.issue(`main-${round}-${i}`))
      assert.equal(await worker.terminate(), 1)
      const issued = await Promise.all(ours)
      assert.equal(issued.length, 16)
      assert.equal((await refresh.rotate(issued[0].token)).userId, `main-${round}-0`)
      assert.ok(await memory.issue('still-here'))
    }
  })
})
