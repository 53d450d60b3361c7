'use strict'

// One HTTP request over node:http, with full control of the headers sent (fetch refuses some
// values on purpose) and the answer as received: status, raw header pairs, body bytes.

const assert = require('node:assert/strict')
const http = require('node:http')

const JSON_TYPE = 'application/json; charset=utf-8'

function send(base, method, path, { headers = {}, body } = {}) {
  const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body))
  const sent = { ...headers }
  if (payload !== undefined) {
    sent['content-length'] = String(payload.length)
    if (typeof body !== 'string' && !Object.keys(sent).some((h) => h.toLowerCase() === 'content-type')) sent['content-type'] = 'application/json'
  }
  return new Promise((resolve, reject) => {
    const request = http.request(`${base}${path}`, { method, headers: sent, agent: false }, (response) => {
      const chunks = []
      response.on('data', (chunk) => chunks.push(chunk))
      response.on('end', () => {
        const bytes = Buffer.concat(chunks)
        const pairs = []
        for (let i = 0; i < response.rawHeaders.length; i += 2) pairs.push([response.rawHeaders[i].toLowerCase(), response.rawHeaders[i + 1]])
        resolve({ status: response.statusCode, headers: response.headers, pairs, bytes, text: bytes.toString() })
      })
      response.on('error', reject)
    })
    request.on('error', reject)
    request.end(payload)
  })
}

/**
 * The header pairs a replay must repeat, in order: all but those of one transmission
 * (Content-Length is compared on its own: node:http puts it where it computes it).
 */
const replayable = (response) => ({
  pairs: response.pairs.filter(([name]) => !['date', 'connection', 'keep-alive', 'idempotent-replayed', 'set-cookie', 'content-length'].includes(name)),
  contentLength: response.headers['content-length'],
})

/** A request with an `Idempotency-Key` (none when `key` is undefined) and, optionally, a bearer token. */
const sendWithKey = (base, path, key, body, { token, headers = {}, method = 'POST' } = {}) =>
  send(base, method, path, {
    headers: { ...(key === undefined ? {} : { 'idempotency-key': key }), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body,
  })

/** A JSON answer: its status, its body byte for byte, and the JSON content type. */
function assertJsonAnswer(response, status, body) {
  assert.equal(response.status, status)
  assert.equal(response.text, body)
  assert.equal(response.headers['content-type'], JSON_TYPE)
}

module.exports = { send, replayable, sendWithKey, assertJsonAnswer }
