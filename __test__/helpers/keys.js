'use strict'

// Key pairs for the tests, as KeyObjects made from PEM. Node 20 can deadlock exporting a JWK
// (`key.export({ format: 'jwk' })`) from a KeyObject that generateKeyPairSync returned: the
// export holds the key's lock while allocating, and a garbage collection that finalizes the
// generation job takes the same lock. Keys re-made from the PEM the job encoded are not shared
// with any job, so they export safely.

const crypto = require('node:crypto')

const ENCODING = { privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }

/** `crypto.generateKeyPairSync(type, options)`, returning `{ privateKey, publicKey }` KeyObjects safe to export. */
function generateKeyPair(type, options = {}) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync(type, { ...options, ...ENCODING })
  return { privateKey: crypto.createPrivateKey(privateKey), publicKey: crypto.createPublicKey(publicKey) }
}

module.exports = { generateKeyPair }
