'use strict'

// The one assertion most async tests need: the promise rejects with a FerroAuthError of this
// code (and, when given, this message or a message matching this pattern).

const assert = require('node:assert/strict')
const { FerroAuthError } = require('../..')

async function rejectsWith(promise, code, message) {
  let error
  try {
    await promise
  } catch (caught) {
    error = caught
  }
  assert.ok(error, `expected a rejection with ${code}, got a value`)
  assert.ok(error instanceof FerroAuthError, `expected FerroAuthError ${code}, got ${error?.name}: ${error?.message}`)
  assert.equal(error.name, 'FerroAuthError')
  assert.equal(error.code, code, error.message)
  if (message !== undefined) {
    if (message instanceof RegExp) assert.match(error.message, message)
    else assert.equal(error.message, message)
  }
  return error
}

module.exports = { rejectsWith }
