'use strict'

// The key, claims and token every HTTP benchmark server verifies (http.js, http-instructions.js);
// the servers (http-server.js) get the key and claims through BENCH_SECRET, BENCH_ISSUER and
// BENCH_AUDIENCE.

const { TokenSigner } = require('ferroauth')

const SECRET = 'benchmark-http-secret-0123456789abcdefghijkl'
const ISSUER = 'https://auth.bench.example'
const AUDIENCE = 'bench-api'
const signer = new TokenSigner({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE, expiresIn: '2h' })
// One token for every contender and every request.
const TOKEN = signer.sign({ sub: 'user-1', email: 'user-1@bench.example', scope: 'profile:read' })
/** What a server process needs in its environment to verify TOKEN. */
const SERVER_ENV = { BENCH_SECRET: SECRET, BENCH_ISSUER: ISSUER, BENCH_AUDIENCE: AUDIENCE, NODE_ENV: 'production' }

module.exports = { SECRET, ISSUER, AUDIENCE, signer, TOKEN, SERVER_ENV }
