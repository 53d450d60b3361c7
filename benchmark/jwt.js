'use strict'

/*
 * JWT sign / verify throughput: ferroauth against the libraries people use today, in one run.
 *
 *   node benchmark/jwt.js                  full run (about 1-2 minutes on 2 cores)
 *   node benchmark/jwt.js --quick          short smoke run (numbers are rough)
 *   node benchmark/jwt.js --alg HS256      only some algorithms (comma-separated)
 *   node benchmark/jwt.js --markdown       also print the Markdown table for README.md
 *   node benchmark/jwt.js --update-readme  also replace the table between the
 *                                          <!-- bench:jwt:start --> / <!-- bench:jwt:end --> markers
 *   node benchmark/jwt.js --json FILE      also write the raw results as JSON
 *
 * Every library gets the same claims and the same keys, configured once (keys pre-parsed
 * where its API allows). Before anything is timed, every token each library signs must verify
 * in ferroauth, ferroauth's token must verify in every library, each verifier must reject an
 * expired and a tampered token; a library that fails any of this for an algorithm is left out
 * of that algorithm's rows and the reason is printed.
 */

const crypto = require('node:crypto')
const os = require('node:os')

const ferroauth = require('..')
const fastJwt = require('fast-jwt')
const jsonwebtoken = require('jsonwebtoken')
const nodeRsJwt = require('@node-rs/jsonwebtoken')

const { table, markdownTable, machineLine, publish } = require('./lib/report.js')
const { parseBenchArgs } = require('./lib/args.js')
const { generateKeyPair } = require('../__test__/helpers/keys.js')

// ---------------------------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  return parseBenchArgs(argv, __filename, {
    defaults: { algorithms: undefined },
    flags: { '--alg': (args, value) => { args.algorithms = value().split(',') }, '--algorithms': (args, value) => { args.algorithms = value().split(',') } },
  })
}

// ---------------------------------------------------------------------------------------------
// The fixture: one set of keys and claims for everybody

const ALGORITHMS = ['HS256', 'RS256', 'ES256', 'EdDSA']
const ISSUER = 'https://auth.example.com'
const AUDIENCE = 'https://api.example.com'
const EXPIRES_IN_SECONDS = 15 * 60
const JTI = 'f3b1c2d4-9a7e-4c1b-8d2f-0e6a5b4c3d21' // peers get this fixed jti; ferroauth makes a random one per token
const CLAIMS = Object.freeze({
  sub: 'user_01HZX8K4M2Q7',
  email: 'ada@example.com',
  scope: 'profile:read profile:write orders:read',
  roles: ['user', 'beta'],
})

function makeKeys() {
  const secret = crypto.randomBytes(32)
  const keys = { HS256: { secret, secretKey: crypto.createSecretKey(secret) } }
  const pairs = {
    RS256: generateKeyPair('rsa', { modulusLength: 2048 }),
    ES256: generateKeyPair('ec', { namedCurve: 'P-256' }),
    EdDSA: generateKeyPair('ed25519'),
  }
  for (const [alg, { privateKey, publicKey }] of Object.entries(pairs)) {
    keys[alg] = {
      privateKey,
      publicKey,
      privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      publicPem: publicKey.export({ type: 'spki', format: 'pem' }),
    }
  }
  return keys
}

const nowSeconds = () => Math.floor(Date.now() / 1000)

// ---------------------------------------------------------------------------------------------
// Contenders. Each builder returns { sign?, verify?, verifyCached?, note? } for one algorithm,
// or throws if the library cannot do that algorithm at all. sign() -> token (or a promise);
// verify(token) -> payload (or a promise), throwing / rejecting when the token is not valid.
// The functions are what gets timed, so they are the bare library calls.

function ferroauthContender(alg, key) {
  const keyOptions = alg === 'HS256' ? { secret: key.secret } : { privateKey: key.privatePem }
  const signer = new ferroauth.TokenSigner({ algorithm: alg, ...keyOptions, issuer: ISSUER, audience: AUDIENCE, expiresIn: EXPIRES_IN_SECONDS })
  const verifierOptions = {
    ...(alg === 'HS256' ? { secret: key.secret } : { publicKey: key.publicPem }),
    algorithms: [alg],
    issuer: ISSUER,
    audience: AUDIENCE,
  }
  const verifier = new ferroauth.TokenVerifier(verifierOptions)
  const cachedVerifier = new ferroauth.TokenVerifier({ ...verifierOptions, cache: true })
  return {
    sign: () => signer.sign(CLAIMS),
    verify: (token) => verifier.verify(token),
    verifyCached: (token) => cachedVerifier.verify(token),
    // For the correctness checks: turn the result object into payload-or-throw.
    unwrap: (result) => {
      if (result.valid) return result.payload
      throw Object.assign(new Error(result.error.message), { code: result.error.code })
    },
  }
}

async function joseContender(alg, key, jose) {
  // jose works on CryptoKeys; importing them once is its fastest configuration.
  let signKey
  let verifyKey
  if (alg === 'HS256') {
    signKey = verifyKey = await jose.importJWK({ kty: 'oct', k: key.secret.toString('base64url') }, 'HS256')
  } else {
    signKey = await jose.importPKCS8(key.privatePem, alg)
    verifyKey = await jose.importSPKI(key.publicPem, alg)
  }
  const verifyOptions = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['exp'] }
  return {
    sign: () =>
      new jose.SignJWT(CLAIMS)
        .setProtectedHeader({ alg, typ: 'at+jwt' })
        .setIssuedAt()
        .setExpirationTime(`${EXPIRES_IN_SECONDS}s`)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setJti(JTI)
        .sign(signKey),
    verify: async (token) => (await jose.jwtVerify(token, verifyKey, verifyOptions)).payload,
    note: 'async API (Promise per call); CryptoKey imported once',
  }
}

function fastJwtContender(alg, key) {
  // fast-jwt takes the secret or the PEM string; createSigner/createVerifier are built once.
  const signer = fastJwt.createSigner({
    key: alg === 'HS256' ? key.secret : key.privatePem,
    algorithm: alg,
    expiresIn: EXPIRES_IN_SECONDS * 1000,
    iss: ISSUER,
    aud: AUDIENCE,
    jti: JTI,
    header: { typ: 'at+jwt' },
  })
  const verifierOptions = {
    key: alg === 'HS256' ? key.secret : key.publicPem,
    algorithms: [alg],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    requiredClaims: ['exp'],
  }
  const verifier = fastJwt.createVerifier(verifierOptions)
  const cachedVerifier = fastJwt.createVerifier({ ...verifierOptions, cache: true })
  return {
    sign: () => signer(CLAIMS),
    verify: (token) => verifier(token),
    verifyCached: (token) => cachedVerifier(token),
  }
}

function jsonwebtokenContender(alg, key) {
  if (alg === 'EdDSA') throw new Error('jsonwebtoken 9 has no EdDSA')
  const signKey = alg === 'HS256' ? key.secretKey : key.privateKey
  const verifyKey = alg === 'HS256' ? key.secretKey : key.publicKey
  const signOptions = {
    algorithm: alg,
    expiresIn: EXPIRES_IN_SECONDS,
    issuer: ISSUER,
    audience: AUDIENCE,
    jwtid: JTI,
    header: { alg, typ: 'at+jwt' },
  }
  const verifyOptions = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE }
  return {
    sign: () => jsonwebtoken.sign(CLAIMS, signKey, signOptions),
    verify: (token) => jsonwebtoken.verify(token, verifyKey, verifyOptions),
    note: 'KeyObject keys; cannot require exp (checks it when present)',
  }
}

function nodeRsContender(alg, key) {
  // @node-rs/jsonwebtoken takes the key bytes on every call (no key object to keep).
  const signKey = alg === 'HS256' ? key.secret : key.privatePem
  const verifyKey = alg === 'HS256' ? key.secret : key.publicPem
  const header = { algorithm: alg }
  const validation = { algorithms: [alg], iss: [ISSUER], aud: [AUDIENCE] }
  return {
    sign: () => {
      const iat = nowSeconds()
      return nodeRsJwt.signSync({ ...CLAIMS, iat, exp: iat + EXPIRES_IN_SECONDS, iss: ISSUER, aud: AUDIENCE, jti: JTI }, signKey, header)
    },
    verify: (token) => nodeRsJwt.verifySync(token, verifyKey, validation),
    note: 'sync API; key passed as PEM/bytes on every call; writes typ JWT',
  }
}

/** The floor: what the same job costs in plain node:crypto, with no claim checks beyond exp. */
function nodeCryptoFloor(alg, key) {
  const header = Buffer.from(JSON.stringify({ alg, typ: 'at+jwt' })).toString('base64url')
  let signBytes
  let verifyBytes
  if (alg === 'HS256') {
    signBytes = (input) => crypto.createHmac('sha256', key.secretKey).update(input).digest()
    verifyBytes = (input, signature) => {
      const expected = crypto.createHmac('sha256', key.secretKey).update(input).digest()
      return signature.length === expected.length && crypto.timingSafeEqual(signature, expected)
    }
  } else {
    const digest = alg === 'EdDSA' ? null : 'sha256'
    const privateKey = alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey
    const publicKey = alg === 'ES256' ? { key: key.publicKey, dsaEncoding: 'ieee-p1363' } : key.publicKey
    signBytes = (input) => crypto.sign(digest, Buffer.from(input), privateKey)
    verifyBytes = (input, signature) => crypto.verify(digest, Buffer.from(input), publicKey, signature)
  }
  return {
    sign: () => {
      const iat = nowSeconds()
      const claims = { ...CLAIMS, iat, exp: iat + EXPIRES_IN_SECONDS, iss: ISSUER, aud: AUDIENCE, jti: JTI }
      const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
      return `${input}.${signBytes(input).toString('base64url')}`
    },
    verify: (token) => {
      const dot1 = token.indexOf('.')
      const dot2 = token.indexOf('.', dot1 + 1)
      if (dot1 < 0 || dot2 < 0 || token.indexOf('.', dot2 + 1) >= 0) throw new Error('malformed')
      if (JSON.parse(Buffer.from(token.slice(0, dot1), 'base64url').toString()).alg !== alg) throw new Error('wrong alg')
      if (!verifyBytes(token.slice(0, dot2), Buffer.from(token.slice(dot2 + 1), 'base64url'))) throw new Error('bad signature')
      const payload = JSON.parse(Buffer.from(token.slice(dot1 + 1, dot2), 'base64url').toString())
      if (!(typeof payload.exp === 'number' && payload.exp > Date.now() / 1000)) throw new Error('expired')
      return payload
    },
    note: 'createHmac / crypto.sign + base64url + JSON, checks alg, signature and exp only',
  }
}

const LIBRARIES = [
  { name: 'ferroauth', build: ferroauthContender },
  { name: 'jose', build: joseContender },
  { name: 'fast-jwt', build: fastJwtContender },
  { name: 'jsonwebtoken', build: jsonwebtokenContender },
  { name: '@node-rs/jsonwebtoken', build: nodeRsContender },
  { name: 'node:crypto (floor)', build: nodeCryptoFloor, floor: true },
]

// ---------------------------------------------------------------------------------------------
// Correctness checks, before any timing

function tamper(token) {
  // Flip one character in the middle of the signature (not the last one: its low bits may be padding).
  const i = token.lastIndexOf('.') + 5
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1)
}

async function rejects(fn) {
  try {
    await fn()
  } catch {
    return true
  }
  return false
}

async function agree(alg, contenders, expiredToken) {
  const ferro = contenders.get('ferroauth')
  const ferroVerify = (token) => ferro.unwrap(ferro.verify(token))
  const ferroVerifyCached = (token) => ferro.unwrap(ferro.verifyCached(token))
  const ferroToken = ferro.sign()
  const problems = new Map()

  const header = JSON.parse(Buffer.from(ferroToken.split('.')[0], 'base64url'))
  const own = ferroVerify(ferroToken)
  if (header.typ !== 'at+jwt' || header.alg !== alg || typeof own.jti !== 'string' || own.sub !== CLAIMS.sub) {
    throw new Error(`${alg}: ferroauth's own token is not what the contract says: ${JSON.stringify({ header, own })}`)
  }
  if (ferroVerifyCached(ferroToken).jti !== own.jti || ferroVerifyCached(ferroToken).jti !== own.jti) {
    throw new Error(`${alg}: ferroauth cached verify disagrees with verify`)
  }

  for (const [name, c] of contenders) {
    const fail = (why) => problems.set(name, problems.has(name) ? `${problems.get(name)}; ${why}` : why)
    try {
      // The library's token verifies in ferroauth.
      const token = await c.sign()
      const payload = ferroVerify(token)
      if (payload.sub !== CLAIMS.sub || payload.iss !== ISSUER || typeof payload.exp !== 'number') fail('its token verified in ferroauth with unexpected claims')
      if (payload.exp - nowSeconds() > EXPIRES_IN_SECONDS + 2 || payload.exp - nowSeconds() < EXPIRES_IN_SECONDS - 5) fail(`its token has exp ${payload.exp - nowSeconds()}s away`)
    } catch (error) {
      fail(`its ${alg} token does not verify in ferroauth: ${error.code ?? ''} ${error.message}`)
    }
    for (const [label, verify] of [['verify', c.verify], ['cached verify', c.verifyCached]]) {
      if (verify === undefined || name === 'ferroauth') continue
      try {
        // ferroauth's token (typ at+jwt, jti) verifies in the library, twice (the cache path).
        for (let i = 0; i < 2; i++) {
          const payload = await verify(ferroToken)
          if (payload.sub !== CLAIMS.sub || payload.jti !== own.jti) fail(`${label} of ferroauth's token gave unexpected claims`)
        }
        if (!(await rejects(() => verify(expiredToken)))) fail(`${label} accepts an expired token`)
        if (!(await rejects(() => verify(tamper(ferroToken))))) fail(`${label} accepts a tampered token`)
      } catch (error) {
        fail(`${label} rejects ferroauth's ${alg} token: ${error.code ?? ''} ${error.message}`)
      }
    }
  }
  // ferroauth's own verifiers must reject the same bad tokens.
  for (const verify of [ferroVerify, ferroVerifyCached]) {
    if (!(await rejects(() => verify(expiredToken))) || !(await rejects(() => verify(tamper(ferroToken))))) {
      throw new Error(`${alg}: ferroauth accepts an expired or tampered token`)
    }
  }
  return { ferroToken, problems }
}

// ---------------------------------------------------------------------------------------------
// Timing

async function timeIt(measure, fn, { budgetMs, warmupMs }) {
  // Warm up (JIT, key caches, WebCrypto thread pool) before mitata starts sampling.
  const until = performance.now() + warmupMs
  while (performance.now() < until) await fn()
  // Batch (many calls per timer read) only what is too fast to time alone (< 5 µs), in batches
  // small enough that the time budget, not mitata's minimum sample count, ends the run.
  const stats = await measure(fn, { min_cpu_time: budgetMs * 1e6, batch_threshold: 5_000, batch_samples: 1024 })
  return stats.avg // ns per operation
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const { measure } = await import('mitata')
  const jose = await import('jose')
  const settings = args.quick ? { budgetMs: 100, warmupMs: 50, rounds: 1 } : { budgetMs: 300, warmupMs: 200, rounds: 5 }
  const algorithms = args.algorithms ?? ALGORITHMS
  for (const alg of algorithms) if (!ALGORITHMS.includes(alg)) throw new Error(`unknown algorithm ${alg}; pick from ${ALGORITHMS.join(', ')}`)

  const log = (line) => process.stderr.write(`${line}\n`)
  const keys = makeKeys()
  const machine = machineLine()
  log(`${machine}${args.quick ? ' (quick run: rough numbers)' : ''}`)

  const results = [] // { alg, op, library, opsPerSec, floor }
  const notes = new Map() // library -> note
  const skipped = [] // { alg, library, why }
  const started = performance.now()

  for (const alg of algorithms) {
    const key = keys[alg]
    const contenders = new Map()
    for (const lib of LIBRARIES) {
      try {
        const c = await lib.build(alg, key, jose)
        c.floor = Boolean(lib.floor)
        contenders.set(lib.name, c)
        if (c.note) notes.set(lib.name, c.note)
      } catch (error) {
        skipped.push({ alg, library: lib.name, why: error.message })
      }
    }

    // An expired token, signed by ferroauth (caller-given exp wins), an hour in the past so
    // that default leeways (node-rs: 60 s) do not hide a missing exp check.
    const past = nowSeconds() - 7200
    const expiredToken = new ferroauth.TokenSigner({
      algorithm: alg,
      ...(alg === 'HS256' ? { secret: key.secret } : { privateKey: key.privatePem }),
      issuer: ISSUER,
      audience: AUDIENCE,
    }).sign({ ...CLAIMS, iat: past, exp: past + 3600 })
    const { ferroToken, problems } = await agree(alg, contenders, expiredToken)
    for (const [name, why] of problems) {
      skipped.push({ alg, library: name, why })
      contenders.delete(name)
    }

    // The cases: every library's sign, every library's verify of the one ferroauth token,
    // and the two caches verifying that same token over and over.
    const cases = []
    for (const [name, c] of contenders) {
      if (c.sign) cases.push({ op: 'sign', library: name, fn: c.sign, floor: c.floor })
    }
    for (const [name, c] of contenders) {
      if (c.verify) cases.push({ op: 'verify', library: name, fn: () => c.verify(ferroToken), floor: c.floor })
    }
    for (const [name, c] of contenders) {
      if (c.verifyCached) cases.push({ op: 'verify (cached)', library: `${name} (cache)`, fn: () => c.verifyCached(ferroToken), floor: c.floor })
    }

    // Rounds interleave the libraries so that a slow patch of the machine (another process
    // taking a core) hits everyone alike; each case keeps its best round, since noise only
    // ever slows a case down. Only the first round warms up.
    const best = new Map()
    for (let round = 0; round < settings.rounds; round++) {
      for (const cs of cases) {
        const ns = await timeIt(measure, cs.fn, { ...settings, warmupMs: round === 0 ? settings.warmupMs : 0 })
        const ops = 1e9 / ns
        if (!(best.get(cs) >= ops)) best.set(cs, ops)
        log(`  ${alg} ${cs.op} ${cs.library}: round ${round + 1}/${settings.rounds} ${Math.round(ops).toLocaleString('en-US')} ops/s`)
      }
    }
    for (const cs of cases) results.push({ alg, op: cs.op, library: cs.library, opsPerSec: best.get(cs), floor: cs.floor })
  }

  log(`timed in ${((performance.now() - started) / 1000).toFixed(1)} s`)

  const out = []
  out.push(machine, '')
  out.push(table(results))
  if (skipped.length) {
    out.push('', 'Not compared:')
    for (const s of skipped) out.push(`  ${s.alg} ${s.library}: ${s.why}`)
  }
  out.push('', 'Notes:')
  out.push('  ratio = ferroauth ops/s / that library\'s ops/s (above 1 means ferroauth is faster).')
  out.push('  ferroauth generates a random jti per token; the others are given a fixed one.')
  for (const [name, note] of notes) out.push(`  ${name}: ${note}`)
  out.push('', ...goals(results))
  process.stdout.write(`${out.join('\n')}\n`)

  publish(args, { name: 'jwt', json: { machine, quick: args.quick, results, skipped }, markdown: () => markdownTable(results, { machine, skipped, quick: args.quick, rounds: settings.rounds }) })
}

/** The benchmark's goals, checked against this run (reported, never asserted). */
function goals(results) {
  const get = (alg, op, library) => results.find((r) => r.alg === alg && r.op === op && r.library === library)?.opsPerSec
  const lines = ['Goals:']
  const mark = (ok) => (ok ? 'met   ' : 'MISSED')
  for (const op of ['sign', 'verify']) {
    const f = get('HS256', op, 'ferroauth')
    const p = get('HS256', op, 'fast-jwt')
    if (f && p) lines.push(`  ${mark(f >= 2 * p)} HS256 ${op} >= 2x fast-jwt (no cache): ${(f / p).toFixed(2)}x`)
  }
  for (const alg of new Set(results.map((r) => r.alg))) {
    for (const op of ['sign', 'verify', 'verify (cached)']) {
      const own = get(alg, op, op === 'verify (cached)' ? 'ferroauth (cache)' : 'ferroauth')
      if (!own) continue
      const peers = results.filter((r) => r.alg === alg && r.op === op && !r.floor && !r.library.startsWith('ferroauth'))
      if (!peers.length) continue
      const top = peers.reduce((a, b) => (a.opsPerSec >= b.opsPerSec ? a : b))
      lines.push(`  ${mark(own > top.opsPerSec)} ${alg} ${op} ahead of every peer: ${(own / top.opsPerSec).toFixed(2)}x the fastest (${top.library})`)
    }
  }
  return lines
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`)
  process.exitCode = 1
})
