'use strict'

// Real redis-server processes for the tests: one server, or a three-node cluster, each on
// free loopback ports in a temporary directory, killed (and the directory removed) when the
// test process exits. The binaries come from $REDIS_SERVER / $REDIS_CLI or PATH; CI installs
// them (`apt-get install redis-server`). A missing binary is an error, never a skipped test.

const { spawn, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')

const HOST = '127.0.0.1'
const START_TIMEOUT_MS = 10_000
const children = new Set()
const dirs = new Set()

function cleanUp() {
  for (const child of children) child.kill('SIGKILL')
  children.clear()
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
  dirs.clear()
}

// `exit` runs on a normal end and on process.exit(); a signal ends the process without it,
// so the usual termination signals clean up first and then end the process as they would have.
process.once('exit', cleanUp)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    cleanUp()
    process.kill(process.pid, signal)
  })
}

const INSTALL_HINT = 'install it with `apt-get install redis-server` (redis-cli comes with it, in redis-tools)'

function binary(name, envName) {
  const override = process.env[envName]
  if (override) {
    try {
      fs.accessSync(override, fs.constants.X_OK)
      return override
    } catch {
      throw new Error(`$${envName} is ${override}, which is not an executable file; unset it or ${INSTALL_HINT}`)
    }
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, name)
    try {
      fs.accessSync(candidate, fs.constants.X_OK)
      return candidate
    } catch {}
  }
  const where = process.env.CI
    ? `CI must provide it (.ci/run installs it): the Redis tests never skip`
    : `set $${envName} to its path, or ${INSTALL_HINT}`
  throw new Error(`${name} not found on PATH; ${where}`)
}

/** A port nothing listens on now (and, for cluster nodes, whose bus port +10000 is free too). */
async function freePort({ busPort = false, exclude = new Set() } = {}) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await listenAndClose(0)
    if (exclude.has(port) || exclude.has(port + 10000)) continue
    if (!busPort) return port
    if (port + 10000 <= 65535 && (await listenAndClose(port + 10000).catch(() => null)) !== null) return port
  }
  throw new Error('no free loopback port found')
}

function listenAndClose(port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(port, HOST, () => {
      const { port: bound } = server.address()
      server.close(() => resolve(bound))
    })
  })
}

/**
 * Sends one inline command over a fresh connection and resolves with its reply: the text of a
 * simple string, integer or bulk string (an error reply rejects).
 */
function command(port, line, timeoutMs = 1000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, HOST)
    let data = Buffer.alloc(0)
    const done = (error, value) => {
      socket.destroy()
      error ? reject(error) : resolve(value)
    }
    socket.setTimeout(timeoutMs, () => done(new Error(`no reply to ${line} within ${timeoutMs} ms`)))
    socket.once('error', done)
    socket.once('close', () => done(new Error(`connection closed before a reply to ${line}`)))
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk])
      const end = data.indexOf('\r\n')
      if (end === -1) return
      const head = data.subarray(0, end).toString()
      if (head[0] === '-') return done(new Error(head.slice(1)))
      if (head[0] !== '$') return done(null, head.slice(1))
      const length = Number(head.slice(1))
      if (data.length >= end + 2 + length + 2) done(null, data.subarray(end + 2, end + 2 + length).toString())
    })
    socket.write(`${line}\r\n`)
  })
}

async function waitFor(check, what, timeoutMs, log) {
  const deadline = Date.now() + timeoutMs
  let last
  while (Date.now() < deadline) {
    try {
      if (await check()) return
    } catch (error) {
      last = error
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`${what} within ${timeoutMs} ms${last ? ` (${last.message})` : ''}\n${log()}`)
}

function launch(port, dir, args) {
  const server = binary('redis-server', 'REDIS_SERVER')
  fs.mkdirSync(dir, { recursive: true })
  dirs.add(dir)
  const logFile = path.join(dir, 'redis.log')
  const child = spawn(
    server,
    ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes',
      '--daemonize', 'no', '--dir', dir, '--logfile', logFile, ...args],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  child.once('error', () => {}) // a spawn failure shows as the exit below
  children.add(child)
  child.once('exit', () => children.delete(child))
  const log = () => {
    let text = stderr ? `stderr:\n${stderr}` : ''
    try {
      text += `\n${logFile} (last lines):\n${fs.readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n')}`
    } catch {}
    return text
  }
  return { child, log }
}

function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', resolve))
}

/** Starts redis-server on `port` and resolves once this very process answers PING. */
async function launchAndWait(port, dir, args) {
  const current = launch(port, dir, args)
  const { child, log } = current
  const failed = new Promise((_, reject) =>
    child.once('exit', (code, signal) =>
      reject(new Error(`redis-server on port ${port} exited (${code ?? signal}) while starting\n${log()}`)),
    ),
  )
  failed.catch(() => {})
  try {
    await Promise.race([
      waitFor(
        // The PID check makes sure the PONG comes from this server, not from another process
        // that took the port first (this one then exits with "Address already in use").
        async () => (await command(port, 'PING')) === 'PONG' && /^process_id:(\d+)/m.exec(await command(port, 'INFO server'))?.[1] === String(child.pid),
        `redis-server answering PING on port ${port}`,
        START_TIMEOUT_MS,
        log,
      ),
      failed,
    ])
  } catch (error) {
    child.kill('SIGKILL')
    await exited(child)
    throw error
  }
  return current
}

/**
 * Starts one redis-server. Resolves with `{ url, host, port, pid, dir, cli(...args), kill(),
 * restart(), stop() }`; `kill` is a SIGKILL (the server dies mid-run), `restart` starts a
 * fresh server on the same port (no data survives), `stop` shuts down and cleans up.
 */
async function startRedis({ port, args = [], excludePorts } = {}) {
  binary('redis-server', 'REDIS_SERVER')
  const cliPath = binary('redis-cli', 'REDIS_CLI')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferroauth-redis-'))
  dirs.add(dir)
  const busPort = args.includes('--cluster-enabled')
  let chosen = port
  let current
  // A port found free can be taken by another process (test files run in parallel) before
  // redis-server binds it: then try another one, unless the caller asked for this port.
  for (let attempt = 1; ; attempt++) {
    chosen = port ?? (await freePort({ busPort, exclude: excludePorts }))
    try {
      current = await launchAndWait(chosen, dir, args)
      break
    } catch (error) {
      if (port !== undefined || attempt === 3 || !/Address already in use/i.test(error.message)) {
        fs.rmSync(dir, { recursive: true, force: true })
        dirs.delete(dir)
        throw error
      }
    }
  }

  const handle = {
    host: HOST,
    port: chosen,
    url: `redis://${HOST}:${chosen}`,
    dir,
    get pid() {
      return current.child.pid
    },
    /** Runs `redis-cli -h 127.0.0.1 -p PORT ...args` and returns its output (raw mode, as not on a TTY). */
    cli: (...cliArgs) =>
      execFileSync(cliPath, ['-h', HOST, '-p', String(chosen), ...cliArgs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    /** SIGKILL: the server dies at once, as in a crash; connections are refused until `restart`. */
    async kill() {
      current.child.kill('SIGKILL')
      await exited(current.child)
    },
    /** Kills the server if it runs and starts a new, empty one on the same port. */
    async restart() {
      await handle.kill()
      current = await launchAndWait(chosen, dir, args)
    },
    /** Graceful shutdown (SIGTERM, nothing saved), waits for the exit, removes the directory. */
    async stop() {
      const { child } = current
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited(child)
        clearTimeout(timer)
      }
      fs.rmSync(dir, { recursive: true, force: true })
      dirs.delete(dir)
    },
  }
  return handle
}

/**
 * Starts `nodes` cluster-enabled servers (bus port = port + 10000), assigns all slots with
 * `redis-cli --cluster create` and waits for `cluster_state:ok` on every node.
 * Resolves with `{ urls, servers, stop() }`.
 */
async function startRedisCluster({ nodes = 3 } = {}) {
  const servers = []
  const taken = new Set()
  try {
    for (let i = 0; i < nodes; i++) {
      const server = await startRedis({
        args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'],
        excludePorts: taken,
      })
      servers.push(server)
      taken.add(server.port).add(server.port + 10000)
    }
    const cliPath = binary('redis-cli', 'REDIS_CLI')
    const endpoints = servers.map((s) => `${HOST}:${s.port}`)
    try {
      execFileSync(cliPath, ['--cluster', 'create', ...endpoints, '--cluster-replicas', '0', '--cluster-yes'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    } catch (error) {
      throw new Error(`redis-cli --cluster create ${endpoints.join(' ')} failed:\n${error.stdout ?? ''}${error.stderr ?? error.message}`)
    }
    for (const server of servers) {
      await waitFor(
        () => server.cli('CLUSTER', 'INFO').includes('cluster_state:ok'),
        `cluster_state:ok on port ${server.port}`,
        15_000,
        () => server.cli('CLUSTER', 'INFO'),
      )
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()))
    throw error
  }
  return {
    urls: servers.map((s) => s.url),
    servers,
    async stop() {
      await Promise.all(servers.map((s) => s.stop()))
    },
  }
}

module.exports = { startRedis, startRedisCluster, freePort }
