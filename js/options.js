'use strict'

// Argument and option checks shared by the modules: wrong types are TypeErrors with
// `code: 'ERR_INVALID_ARG_TYPE'`; values are judged by the native core.

const { FerroAuthError, argTypeError } = require('./errors.js')

const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)
const isString = (v) => typeof v === 'string'
const isBoolean = (v) => typeof v === 'boolean'
const isDuration = (v) => typeof v === 'number' || typeof v === 'string'
const isBytes = (v) => v instanceof Uint8Array
const toBuffer = (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength))

function optionsObject(options, name = 'options') {
  if (options === undefined) return {}
  if (!isPlainObject(options)) throw argTypeError(name, 'an object', options)
  return options
}

function optional(options, name, check, expected, prefix = 'options') {
  const value = options[name]
  if (value !== undefined && !check(value)) throw argTypeError(`${prefix}.${name}`, expected, value)
  return value
}

/** A secret given as a string, Buffer or Uint8Array, as the addon takes it. */
function secretOption(options, prefix = 'options') {
  const secret = options.secret
  if (secret === undefined || isString(secret)) return secret
  if (isBytes(secret)) return toBuffer(secret)
  throw argTypeError(`${prefix}.secret`, 'a string, a Buffer or a Uint8Array', secret)
}

const failure = (outcome) => new FerroAuthError(outcome.code, outcome.message)
// Duck-typed: under a vm context (Jest) the addon's promises are not of that realm's Promise.
const isPromise = (v) => typeof v?.then === 'function'

/** A native outcome: the value, or a `{ code, message }` failure to throw. */
function settle(outcome) {
  if (outcome !== null && typeof outcome === 'object' && typeof outcome.code === 'string') throw failure(outcome)
  return outcome
}

module.exports = {
  isPlainObject,
  isString,
  isBoolean,
  isDuration,
  isBytes,
  toBuffer,
  optionsObject,
  optional,
  secretOption,
  failure,
  isPromise,
  settle,
}
