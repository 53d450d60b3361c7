'use strict'

// Passwords: argument checks here, everything else (Argon2, bcrypt, hash parsing, limits,
// the policy) in the native core. Hashing and verifying run on the libuv thread pool.

const native = require('../binding.js')
const { FerroAuthError, ErrorCodes, argTypeError } = require('./errors.js')
const { isString, isBoolean, optionsObject, optional, secretOption, failure, isPromise, settle } = require('./options.js')

const { MAX_PASSWORD_BYTES, MAX_PASSWORD_HASH_LENGTH } = native


function stringArgument(name, value, limit) {
  if (!isString(value)) throw argTypeError(name, 'a string', value)
  // A string longer than the limit in UTF-16 units is longer in UTF-8 bytes too: the core
  // refuses it all the same, and only the part it needs to see that is copied.
  return value.length > limit ? value.slice(0, limit + 1) : value
}

const password = (value) => stringArgument('password', value, MAX_PASSWORD_BYTES)
const storedHash = (value) => stringArgument('hash', value, MAX_PASSWORD_HASH_LENGTH)


/** An AbortSignal, or anything shaped like one (a polyfill, a signal from another realm). */
const isSignal = (v) =>
  v instanceof AbortSignal ||
  (v !== null && typeof v === 'object' && typeof v.aborted === 'boolean' && typeof v.addEventListener === 'function' && typeof v.removeEventListener === 'function')

function signalOption(options) {
  return optional(options, 'signal', isSignal, 'an AbortSignal')
}

function costs(options) {
  return {
    memoryCost: optional(options, 'memoryCost', Number.isInteger, 'an integer (KiB)'),
    timeCost: optional(options, 'timeCost', Number.isInteger, 'an integer'),
    parallelism: optional(options, 'parallelism', Number.isInteger, 'an integer'),
  }
}

function hashConfig(options) {
  return { ...costs(options), secret: secretOption(options) }
}


const aborted = (signal) =>
  new FerroAuthError(ErrorCodes.ERR_ABORTED, 'The operation was aborted', { cause: signal.reason })

/**
 * Runs a native task. `start(nativeSignal)` returns a promise, or a failure when a check
 * that needs no hashing failed. The caller's signal is not handed to the addon (napi-rs
 * takes over a signal's `onabort`): a private one is, which cancels work still queued;
 * the promise rejects as soon as the caller's signal fires, even if a thread already runs.
 */
function run(start, signal) {
  if (signal === undefined) {
    const queued = start(undefined)
    return isPromise(queued) ? queued.then(settle) : Promise.reject(failure(queued))
  }
  if (signal.aborted) return Promise.reject(aborted(signal))
  const controller = new AbortController()
  const queued = start(controller.signal)
  if (!isPromise(queued)) return Promise.reject(failure(queued))
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      signal.removeEventListener('abort', onAbort)
      controller.abort()
      reject(aborted(signal))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    queued.then(
      (outcome) => {
        signal.removeEventListener('abort', onAbort)
        try {
          resolve(settle(outcome))
        } catch (error) {
          reject(error)
        }
      },
      (error) => {
        signal.removeEventListener('abort', onAbort)
        reject(error?.name === 'AbortError' ? aborted(signal) : error)
      },
    )
  })
}

/**
 * Hashes a password with Argon2id into a PHC string, off the main thread.
 * Defaults: memoryCost 19456 KiB, timeCost 2, parallelism 1 (OWASP).
 */
async function hashPassword(value, options) {
  const pw = password(value)
  const opts = optionsObject(options)
  const config = hashConfig(opts)
  const signal = signalOption(opts)
  return run((nativeSignal) => native.hashPasswordTask(pw, config, nativeSignal), signal)
}

/** `hashPassword` on the calling thread (it blocks it for the whole hash): for scripts. */
function hashPasswordSync(value, options) {
  const pw = password(value)
  const opts = optionsObject(options)
  if (opts.signal !== undefined) throw argTypeError('options.signal', 'undefined (a synchronous hash cannot be aborted)', opts.signal)
  return settle(native.hashPasswordSync(pw, hashConfig(opts)))
}

/**
 * Checks a password against an Argon2 (id, i, d) or bcrypt hash, off the main thread.
 * Resolves true or false; a hash that cannot be checked rejects with a coded error.
 */
async function verifyPassword(hash, value, options) {
  const stored = storedHash(hash)
  const pw = password(value)
  const opts = optionsObject(options)
  const secret = secretOption(opts)
  const signal = signalOption(opts)
  return run((nativeSignal) => native.verifyPasswordTask(stored, pw, secret, nativeSignal), signal)
}

/**
 * Login helper: verifies against `hash`, or, when there is no user (`null`/`undefined`),
 * does the same work against a dummy hash with the given costs and resolves false. The
 * argument and option checks are the same either way.
 */
async function verifyPasswordOrDummy(hashOrNull, value, options) {
  const stored = hashOrNull === null || hashOrNull === undefined ? undefined : storedHash(hashOrNull)
  const pw = password(value)
  const opts = optionsObject(options)
  const config = hashConfig(opts)
  const signal = signalOption(opts)
  return run((nativeSignal) => native.verifyPasswordOrDummyTask(stored, pw, config, nativeSignal), signal)
}

/** True when `hash` is bcrypt, or Argon2 weaker than the costs in `options` (defaults: OWASP). */
function needsRehash(hash, options) {
  const stored = storedHash(hash)
  return settle(native.passwordNeedsRehash(stored, costs(optionsObject(options))))
}

/** Checks a password against a policy; the default is 8+ chars, an uppercase letter, a digit, a special character. */
function checkPasswordPolicy(value, policy) {
  if (!isString(value)) throw argTypeError('password', 'a string', value)
  const rules = optionsObject(policy, 'policy')
  const integer = (name) => optional(rules, name, Number.isInteger, 'an integer', 'policy')
  const flag = (name) => optional(rules, name, isBoolean, 'a boolean', 'policy')
  const report = settle(
    native.checkPasswordPolicy(value, {
      minLength: integer('minLength'),
      maxLength: integer('maxLength'),
      requireUppercase: flag('requireUppercase'),
      requireLowercase: flag('requireLowercase'),
      requireDigit: flag('requireDigit'),
      requireSymbol: flag('requireSymbol'),
    }),
  )
  const errors = report.errors.map(({ code, message }) => ({ code, message }))
  return report.ok ? { ok: true, errors } : { ok: false, errors, message: report.message }
}

module.exports = {
  hashPassword,
  hashPasswordSync,
  verifyPassword,
  verifyPasswordOrDummy,
  needsRehash,
  checkPasswordPolicy,
}
