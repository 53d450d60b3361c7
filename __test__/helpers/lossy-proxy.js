'use strict'

// A TCP proxy on a free loopback port in front of a real server, for faults a server cannot
// be asked to make: `loseNextAnswer()` lets the next request through to the server, then
// closes the client's connection instead of passing the server's answer back, as a network
// that breaks between the two would. Later connections pass everything.

const net = require('node:net')

async function startLossyProxy(target) {
  let armed = false
  let lost = 0
  const sockets = new Set()
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
      socket.on('error', () => {})
    }
    client.on('data', (chunk) => upstream.write(chunk))
    upstream.on('data', (chunk) => {
      if (armed) {
        armed = false
        lost++
        client.destroy()
        upstream.destroy()
        return
      }
      client.write(chunk)
    })
    client.once('close', () => upstream.destroy())
    upstream.once('close', () => client.destroy())
  })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address()
  return {
    url: `redis://127.0.0.1:${port}`,
    /** The next answer from the server is dropped with the client's connection. */
    loseNextAnswer() {
      armed = true
    },
    /** How many answers were dropped so far. */
    get lost() {
      return lost
    },
    async stop() {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

module.exports = { startLossyProxy }
