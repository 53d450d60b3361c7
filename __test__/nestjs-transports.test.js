'use strict'

// JwtAuthGuard on NestJS's WebSocket and microservice transports, in real apps: a gateway on
// the `ws` platform and a TCP microservice (__test__/nest-transports-app/app.ts, compiled at
// start under --strict), driven by a real WebSocket client and a real ClientProxy on 127.0.0.1.
// A refused message must reach the client as the refusal it is (Nest's filters turn anything
// but a WsException / RpcException into "Internal server error"), and nothing is logged as an
// error for a routine 401 or 403.

const { test, describe, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { tscSync } = require('./helpers/tsc.js')
const { freePort } = require('./helpers/redis.js')

const SECRET = 'ferroauth-nest-transports-test-secret-0123456789'
process.env.JWT_ACCESS_SECRET = SECRET

const WebSocket = require('ws')
const { NestFactory } = require('@nestjs/core')
const { WsAdapter } = require('@nestjs/platform-ws')
const { ClientProxyFactory, Transport } = require('@nestjs/microservices')
const { TokenSigner } = require('../index.js')

const APP_DIR = path.join(__dirname, 'nest-transports-app')
const DIST = path.join(APP_DIR, 'dist') // .gitignored
const HOST = '127.0.0.1'

const signer = new TokenSigner({ secret: SECRET, expiresIn: '5m' })
const refusal = (statusCode, message) => ({
  status: 'error',
  statusCode,
  message,
  error: statusCode === 401 ? 'Unauthorized' : 'Forbidden',
})
const STATUS_MESSAGE = 'You do not have the required status to perform this action'

/** A Nest logger that keeps what it is told, to prove a refusal is not logged as an error. */
function recordingLogger() {
  const errors = []
  const ignore = () => {}
  return {
    errors,
    logger: { log: ignore, warn: ignore, debug: ignore, verbose: ignore, fatal: (...args) => errors.push(args), error: (...args) => errors.push(args) },
  }
}

let modules
before(() => {
  fs.rmSync(DIST, { recursive: true, force: true })
  const compiled = tscSync(APP_DIR)
  assert.equal(compiled.status, 0, `the app did not compile under --strict:\n${compiled.output}`)
  modules = require(path.join(DIST, 'app.js'))
})

/** One WebSocket connection; `ask(event, data)` sends a message and resolves with the next one. */
async function connect(url) {
  const socket = new WebSocket(url)
  const inbox = []
  const waiting = []
  socket.on('message', (raw) => {
    const message = JSON.parse(raw.toString())
    const next = waiting.shift()
    if (next) next(message)
    else inbox.push(message)
  })
  await new Promise((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  })
  const nextMessage = () =>
    inbox.length > 0
      ? Promise.resolve(inbox.shift())
      : new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000)
        waiting.push((message) => {
          clearTimeout(timer)
          resolve(message)
        })
      })
  return {
    socket,
    ask(event, data) {
      socket.send(JSON.stringify({ event, data }))
      return nextMessage()
    },
    close: () => new Promise((resolve) => {
      socket.once('close', resolve)
      socket.close()
    }),
  }
}

describe('WebSocket gateway (ws platform) behind JwtAuthGuard', () => {
  let app
  let client
  const log = recordingLogger()

  before(async () => {
    app = await NestFactory.create(modules.GatewayModule, { logger: log.logger, forceCloseConnections: true })
    app.useWebSocketAdapter(new WsAdapter(app))
    await app.listen(0, HOST)
    client = await connect(`ws://${HOST}:${app.getHttpServer().address().port}/events`)
  })
  after(async () => {
    await client?.close()
    await app?.close()
  })

  test('a valid token in the message: the handler runs with the user', async () => {
    const token = signer.sign({ sub: 'ws-user', email: 'ws@example.com' })
    assert.deepEqual(await client.ask('whoami', { token }), { event: 'whoami', data: { userId: 'ws-user', email: 'ws@example.com' } })
  })

  test('no token, a bad one, an expired one: an exception message with the 401 body; the connection stays usable', async () => {
    assert.deepEqual(await client.ask('whoami', {}), { event: 'exception', data: refusal(401, 'Missing bearer token') })
    assert.deepEqual(await client.ask('whoami', { token: 'not-a-token' }), { event: 'exception', data: refusal(401, 'Invalid token') })
    const expired = signer.sign({ sub: 'ws-user', exp: Math.floor(Date.now() / 1000) - 60 })
    assert.deepEqual(await client.ask('whoami', { token: expired }), { event: 'exception', data: refusal(401, 'Token has expired') })
    const token = signer.sign({ sub: 'still-here' })
    assert.deepEqual((await client.ask('whoami', { token })).data.userId, 'still-here')
  })

  test('@Scopes and @RequireStatus: 403 bodies as exception messages', async () => {
    const plain = signer.sign({ sub: 'ws-user', status: 'PENDING' })
    assert.deepEqual(await client.ask('report', { token: plain }), {
      event: 'exception',
      data: refusal(403, 'Insufficient scope: requires reports:read'),
    })
    const scoped = signer.sign({ sub: 'ws-user', scope: 'reports:read' })
    assert.deepEqual(await client.ask('report', { token: scoped }), { event: 'report', data: { for: 'ws-user' } })

    assert.deepEqual(await client.ask('publish', { token: plain, text: 'hi' }), { event: 'exception', data: refusal(403, STATUS_MESSAGE) })
    const active = signer.sign({ sub: 'ws-user', status: 'ACTIVE' })
    assert.deepEqual(await client.ask('publish', { token: active, text: 'hi' }), { event: 'published', data: 'hi' })
  })

  test('@Public() messages need no token', async () => {
    assert.deepEqual(await client.ask('ping', {}), { event: 'pong', data: true })
  })

  for (const path of ['/optional', '/optional-principal']) {
    test(`credentialsRequired: false (${path}): a message without a token is nobody's, even after an authenticated one`, async () => {
      const optional = await connect(`ws://${HOST}:${app.getHttpServer().address().port}${path}`)
      try {
        assert.deepEqual(await optional.ask('whoami', {}), { event: 'whoami', data: { userId: null } })
        const token = signer.sign({ sub: 'first' })
        assert.deepEqual(await optional.ask('whoami', { token }), { event: 'whoami', data: { userId: 'first' } })
        assert.deepEqual(await optional.ask('whoami', {}), { event: 'whoami', data: { userId: null } })
        assert.deepEqual(await optional.ask('whoami', { token: signer.sign({ sub: 'second' }) }), { event: 'whoami', data: { userId: 'second' } })
        assert.deepEqual(await optional.ask('whoami', { token: 'not-a-token' }), { event: 'exception', data: refusal(401, 'Invalid token') })
      } finally {
        await optional.close()
      }
    })
  }

  test('no refusal was logged as an error', () => {
    assert.deepEqual(log.errors, [])
  })
})

describe('TCP microservice behind JwtAuthGuard', () => {
  let app
  let client
  const log = recordingLogger()

  before(async () => {
    const port = await freePort()
    app = await NestFactory.createMicroservice(modules.MicroserviceModule, {
      transport: Transport.TCP,
      options: { host: HOST, port },
      logger: log.logger,
    })
    await app.listen()
    client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: HOST, port } })
    await client.connect()
  })
  after(async () => {
    await client?.close()
    await app?.close()
  })

  const send = (pattern, data) =>
    new Promise((resolve, reject) => {
      client.send(pattern, data).subscribe({ next: resolve, error: reject })
    })

  test('a valid token in the message: the handler runs with the user', async () => {
    assert.deepEqual(await send('whoami', { token: signer.sign({ sub: 'rpc-user' }) }), { userId: 'rpc-user' })
  })

  test('no token or a bad one: the caller gets the 401 body as the error', async () => {
    await assert.rejects(send('whoami', {}), (error) => {
      assert.deepEqual(error, refusal(401, 'Missing bearer token'))
      return true
    })
    await assert.rejects(send('whoami', { token: 'not-a-token' }), (error) => {
      assert.deepEqual(error, refusal(401, 'Invalid token'))
      return true
    })
  })

  test('@Scopes: 403 without the scope, the handler with it', async () => {
    await assert.rejects(send('orders.create', { token: signer.sign({ sub: 'rpc-user' }), text: 'x' }), (error) => {
      assert.deepEqual(error, refusal(403, 'Insufficient scope: requires orders:write'))
      return true
    })
    const token = signer.sign({ sub: 'rpc-user', scope: 'orders:write' })
    assert.deepEqual(await send('orders.create', { token, text: 'x' }), { createdFor: 'rpc-user', text: 'x' })
  })

  test('no refusal was logged as an error', () => {
    assert.deepEqual(log.errors, [])
  })
})
