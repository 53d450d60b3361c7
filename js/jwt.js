'use strict'

const { KeyObject } = require('node:crypto')
const native = require('../binding.js')
const { FerroAuthError, ErrorCodes, fromNative, argTypeError } = require('./errors.js')
const { isPlainObject, isString, isDuration, isBytes, toBuffer, optional } = require('./options.js')

/** Claims must serialize to what the caller sees: no Map, Set, class instances or arrays. */
const isClaimsObject = (v) => {
  if (v === null || typeof v !== 'object') return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

const isStringList = (v) => isString(v) || (Array.isArray(v) && v.every(isString))
const asList = (v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v])

function secretOption(options) {
  const secret = options.secret
  if (secret === undefined) return undefined
  if (isString(secret)) return secret
  if (isBytes(secret)) return toBuffer(secret)
  if (secret instanceof KeyObject && secret.type === 'secret') return secret.export()
  throw argTypeError('options.secret', 'a string, a Buffer or a secret KeyObject', secret)
}

/** A PEM string or Buffer, a JWK object, or a KeyObject of the wanted type. */
function keyOption(options, name, type) {
  const key = options[name]
  if (key === undefined) return {}
  if (isString(key)) return { pem: key }
  if (isBytes(key)) return { pem: toBuffer(key) }
  if (key instanceof KeyObject) {
    if (key.type !== type) {
      const error = new TypeError(`options.${name} must be a ${type} KeyObject, got a ${key.type} KeyObject`)
      error.code = 'ERR_INVALID_ARG_TYPE'
      throw error
    }
    return { pem: key.export({ type: type === 'private' ? 'pkcs8' : 'spki', format: 'pem' }) }
  }
  if (isPlainObject(key)) return { jwk: JSON.stringify(key) }
  throw argTypeError(`options.${name}`, `a PEM string or Buffer, a JWK object or a ${type} KeyObject`, key)
}

function emitWarnings(nativeObject) {
  for (const { code, message } of nativeObject.warnings) {
    process.emitWarning(message, { type: 'FerroAuthWarning', code })
  }
}

function construct(NativeClass, config) {
  try {
    return new NativeClass(config)
  } catch (error) {
    throw fromNative(error)
  }
}

/**
 * Signs access tokens. Keys and options are parsed once, here.
 */
class TokenSigner {
  #native
  #sign

  constructor(options) {
    if (!isPlainObject(options)) throw argTypeError('options', 'an object', options)
    const privateKey = keyOption(options, 'privateKey', 'private')
    const audience = optional(options, 'audience', isStringList, 'a string or an array of strings')
    this.#native = construct(native.NativeTokenSigner, {
      algorithm: optional(options, 'algorithm', isString, 'a string'),
      secret: secretOption(options),
      privateKeyPem: privateKey.pem,
      privateKeyJwk: privateKey.jwk,
      kid: optional(options, 'kid', isString, 'a string'),
      issuer: optional(options, 'issuer', isString, 'a string'),
      audience: asList(audience),
      expiresIn: optional(options, 'expiresIn', isDuration, 'seconds or a duration string'),
      notBefore: optional(options, 'notBefore', isDuration, 'seconds or a duration string'),
    })
    this.#sign = this.#native.signFunction()
    emitWarnings(this.#native)
  }

  /** The algorithm this signer uses, e.g. `'HS256'`. */
  get algorithm() {
    return this.#native.algorithm
  }

  sign(claims) {
    if (!isClaimsObject(claims)) {
      throw new FerroAuthError(ErrorCodes.ERR_JWT_CLAIMS_INVALID, 'Claims are invalid: claims must be a plain object')
    }
    let json
    try {
      json = JSON.stringify(claims)
    } catch (cause) {
      throw new FerroAuthError(ErrorCodes.ERR_JWT_CLAIMS_INVALID, `Claims are invalid: ${cause.message}`, { cause })
    }
    const outcome = this.#sign(json)
    if (typeof outcome === 'string') return outcome
    throw new FerroAuthError(outcome.code, outcome.message)
  }
}

const NOT_A_STRING = Object.freeze({
  valid: false,
  error: Object.freeze({ code: ErrorCodes.ERR_JWT_MALFORMED, message: 'Token is malformed: token must be a string' }),
})

const DEFAULT_CACHE_SIZE = 1000
/** The characters hashed into a cache key: the end of the signature, 48 random bits. */
const CACHE_KEY_CHARACTERS = 8

/**
 * A small integer from the token's last characters. Each request brings a new string; hashing
 * a few characters into a number is a fraction of what slicing and hashing a string key costs.
 * Keys of different tokens may meet: an entry only answers for the exact token it holds.
 */
function cacheKey(token) {
  const end = token.length
  let hash = end
  for (let i = Math.max(0, end - CACHE_KEY_CHARACTERS); i < end; i++) hash = (Math.imul(hash, 31) + token.charCodeAt(i)) | 0
  return hash & 0x3fffffff // a small integer: no heap number per lookup
}
const DEFAULT_MAX_TOKEN_LENGTH = 16 * 1024

function tooLarge(limit) {
  return {
    valid: false,
    error: { code: ErrorCodes.ERR_JWT_TOO_LARGE, message: `Token is larger than the ${limit} byte limit` },
  }
}

function deepFreeze(value) {
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) deepFreeze(value[key])
    Object.freeze(value)
  }
  return value
}

/**
 * Verifies tokens. The algorithm comes from the configured key(s) and allow-list,
 * never from the token alone.
 */
class TokenVerifier {
  #native
  #verify
  #verifyWithExpiry
  #maxTokenLength
  /**
   * cacheKey(token) -> { token, result, until (ms), used }, oldest first (a Map keeps insertion
   * order). An entry answers only for the very token it holds, compared in full. A hit only
   * marks the entry `used`; eviction gives used entries a second chance (CLOCK), which keeps
   * LRU's choice without reordering the Map on every hit, the costliest part of a lookup.
   */
  #cache
  #cacheMax

  constructor(options) {
    if (!isPlainObject(options)) throw argTypeError('options', 'an object', options)
    const publicKey = keyOption(options, 'publicKey', 'public')
    const jwks = options.jwks
    if (jwks !== undefined && !(isPlainObject(jwks) && Array.isArray(jwks.keys))) {
      throw argTypeError('options.jwks', 'a JWK Set object ({ keys: [...] })', jwks)
    }
    const maxTokenLength = optional(options, 'maxTokenLength', Number.isInteger, 'an integer')
    if (maxTokenLength !== undefined && (maxTokenLength < 1 || maxTokenLength > 0xffffffff)) {
      throw new FerroAuthError(ErrorCodes.ERR_INVALID_OPTION, 'maxTokenLength must be a positive integer')
    }
    const cache = optional(options, 'cache', (v) => typeof v === 'boolean' || isPlainObject(v), 'a boolean or { max }')
    this.#native = construct(native.NativeTokenVerifier, {
      secret: secretOption(options),
      publicKeyPem: publicKey.pem,
      publicKeyJwk: publicKey.jwk,
      jwks: jwks === undefined ? undefined : JSON.stringify(jwks),
      algorithms: optional(options, 'algorithms', (v) => Array.isArray(v) && v.every(isString), 'an array of strings'),
      issuer: asList(optional(options, 'issuer', isStringList, 'a string or an array of strings')),
      audience: asList(optional(options, 'audience', isStringList, 'a string or an array of strings')),
      clockTolerance: optional(options, 'clockTolerance', isDuration, 'seconds or a duration string'),
      maxTokenAge: optional(options, 'maxTokenAge', isDuration, 'seconds or a duration string'),
      requiredClaims: optional(options, 'requiredClaims', (v) => Array.isArray(v) && v.every(isString), 'an array of strings'),
      requireExpiration: optional(options, 'requireExpiration', (v) => typeof v === 'boolean', 'a boolean'),
      maxTokenLength,
    })
    this.#verify = this.#native.verifyFunction()
    // Checked here too so an absurdly long string is never copied across the boundary.
    this.#maxTokenLength = maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH
    if (cache) {
      this.#verifyWithExpiry = this.#native.verifyWithExpiryFunction()
      const max = cache === true ? DEFAULT_CACHE_SIZE : (cache.max ?? DEFAULT_CACHE_SIZE)
      if (!Number.isInteger(max) || max < 1) {
        throw new FerroAuthError(ErrorCodes.ERR_INVALID_OPTION, 'cache.max must be a positive integer')
      }
      this.#cache = new Map()
      this.#cacheMax = max
    }
    emitWarnings(this.#native)
  }

  verify(token) {
    if (typeof token !== 'string') return NOT_A_STRING
    if (token.length > this.#maxTokenLength) return tooLarge(this.#maxTokenLength)
    if (this.#cache !== undefined) return this.#verifyCached(token)
    const outcome = this.#verify(token)
    if (typeof outcome === 'string') return { valid: true, payload: JSON.parse(outcome) }
    return { valid: false, error: outcome }
  }

  #verifyCached(token) {
    const cache = this.#cache
    const key = cacheKey(token)
    const entry = cache.get(key)
    if (entry !== undefined && entry.token === token) {
      if (entry.until > Date.now()) {
        entry.used = true
        return entry.result
      }
      cache.delete(key)
    }
    const outcome = this.#verifyWithExpiry(token)
    if (outcome.payload === undefined) return { valid: false, error: outcome }
    const result = deepFreeze({ valid: true, payload: JSON.parse(outcome.payload) })
    // Tokens without an expiry are not cached: nothing bounds how long the entry may live.
    if (outcome.validUntil != null) {
      // Another valid token with the same key takes the entry over.
      if (!cache.delete(key) && cache.size >= this.#cacheMax) this.#evictOne()
      cache.set(key, { token, result, until: outcome.validUntil * 1000, used: false })
    }
    return result
  }

  /** Drops the oldest entry not used since it was last looked at here; used ones move to the end, unmarked. */
  #evictOne() {
    const cache = this.#cache
    for (const [key, entry] of cache) {
      cache.delete(key)
      if (!entry.used) return
      entry.used = false
      cache.set(key, entry)
    }
  }
}

const signers = new WeakMap()
const verifiers = new WeakMap()

function cached(map, Class, options) {
  if (!isPlainObject(options)) throw argTypeError('options', 'an object', options)
  let instance = map.get(options)
  if (instance === undefined) {
    instance = new Class(options)
    map.set(options, instance)
  }
  return instance
}

/** One-call signing; the signer is built once per options object. */
function signAccessToken(claims, options) {
  return cached(signers, TokenSigner, options).sign(claims)
}

/** One-call verification; the verifier is built once per options object. */
function verifyAccessToken(token, options) {
  return cached(verifiers, TokenVerifier, options).verify(token)
}

const stringsOf = (v) => (Array.isArray(v) ? v.filter(isString) : [])
const words = (v) => v.split(' ').filter(Boolean)

function userFields(payload) {
  const { sub, email, scope, scp, scopes, roles, role } = payload
  let scopeList
  if (isString(scope)) scopeList = words(scope)
  else if (isString(scp)) scopeList = words(scp)
  else scopeList = stringsOf(scopes ?? scp)
  return {
    userId: isString(sub) ? sub : typeof sub === 'number' ? String(sub) : undefined,
    email: isString(email) ? email : undefined,
    scopes: scopeList,
    roles: Array.isArray(roles) ? stringsOf(roles) : isString(role) ? [role] : [],
  }
}

/**
 * A frozen payload (the verifier cache's, shared by every request with that token) cannot
 * change, so its fields are read once; each user still gets arrays of its own.
 */
const fieldsOfFrozen = new WeakMap()

/** Maps a verified payload to the user shape the framework adapters put on requests. */
function toUserPayload(payload) {
  if (!isPlainObject(payload)) throw argTypeError('payload', 'an object', payload)
  // Looked up before asking Object.isFrozen, which costs more than the lookup.
  let fields = fieldsOfFrozen.get(payload)
  let shared = true
  if (fields === undefined) {
    fields = userFields(payload)
    shared = Object.isFrozen(payload)
    if (shared) fieldsOfFrozen.set(payload, fields)
  }
  return {
    userId: fields.userId,
    email: fields.email,
    scopes: shared ? fields.scopes.slice() : fields.scopes,
    roles: shared ? fields.roles.slice() : fields.roles,
    claims: payload,
  }
}

module.exports = { TokenSigner, TokenVerifier, signAccessToken, verifyAccessToken, toUserPayload }
