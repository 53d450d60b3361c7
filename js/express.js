'use strict'

// The Express adapter: createAuthMiddleware, requireScopes and requireRoles. It never requires
// express. The work (finding the token, verifying it, the user, the 401/403 bodies and
// WWW-Authenticate values) is js/authenticate.js; this file only writes the outcome onto
// node:http's (req, res, next), which is all Express 4, Express 5, Connect and a plain
// http server have in common.

const { createRequestAuthenticator, checkGrants, MISSING_TOKEN } = require('./authenticate.js')
const { argTypeError } = require('./errors.js')
const { createRequestIdempotency } = require('./idempotent-request.js')
const { RateLimiter, kDecide, TOO_MANY_REQUESTS, STORE_UNAVAILABLE, isStoreFailure, decisionHeaders } = require('./ratelimit.js')

/**
 * Where the middleware also leaves the user when `requestProperty` is not `'user'`, so that
 * requireScopes and requireRoles find it. Only then: on Express's request objects each added
 * property costs (a symbol ~2 µs a request here), and a WeakMap entry per request costs garbage
 * collection work instead.
 */
const AUTHENTICATED_USER = Symbol('ferroauth.user')

/** Answers with a JSON body and the given status. */
function sendJson(res, status, value) {
  const body = JSON.stringify(value)
  res.statusCode = status
  res.setHeader('Content-Type', 'application/json; charset=utf-8')
  res.setHeader('Content-Length', Buffer.byteLength(body))
  res.end(body)
}

/** Answers a failed outcome: status, `{ statusCode, message, error }` as JSON, WWW-Authenticate. */
function sendFailure(res, outcome) {
  if (outcome.wwwAuthenticate !== undefined) res.setHeader('WWW-Authenticate', outcome.wwwAuthenticate)
  sendJson(res, outcome.status, outcome.body)
}

/**
 * Middleware that verifies the request's bearer token (or cookie), puts the user on
 * `req[requestProperty]` and calls `next()`; answers 401 itself; passes errors thrown by
 * `getToken`, `getUserInfo` or `isRevoked` to `next(error)`.
 */
function createAuthMiddleware(options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw argTypeError('options', 'an object', options)
  }
  const requestProperty = options.requestProperty ?? 'user'
  if (typeof requestProperty !== 'string' || requestProperty === '') {
    throw argTypeError('options.requestProperty', 'a non-empty string', requestProperty)
  }
  const authenticate = createRequestAuthenticator(options)
  const defaultProperty = requestProperty === 'user'

  function settle(req, res, next, outcome) {
    if (!outcome.ok) {
      try {
        sendFailure(res, outcome)
      } catch (error) {
        next(error) // e.g. headers already sent by earlier middleware
      }
      return
    }
    const user = outcome.user
    if (user !== undefined) {
      if (defaultProperty) {
        req.user = user
      } else {
        req[requestProperty] = user
        req[AUTHENTICATED_USER] = user
      }
    }
    next()
  }

  return function ferroauthMiddleware(req, res, next) {
    let outcome
    try {
      outcome = authenticate(req)
    } catch (error) {
      next(error) // thrown by getToken
      return
    }
    // Synchronous unless getToken, getUserInfo or isRevoked made it a promise.
    if (typeof outcome.then === 'function') outcome.then((settled) => settle(req, res, next, settled), next)
    else settle(req, res, next, outcome)
  }
}

function grantsMiddleware(name, field, wanted) {
  for (const value of wanted) {
    if (typeof value !== 'string') throw argTypeError(`${name}() arguments`, 'strings', value)
  }
  const required = Object.freeze([...wanted])
  const check = function (req, res, next) {
    const user = req[AUTHENTICATED_USER] ?? req.user
    // Requirements but no credentials (credentialsRequired: false): a 401, not a 403 (RFC 6750 §3.1).
    if (user === undefined || user === null) {
      sendFailure(res, MISSING_TOKEN)
      return
    }
    const grant = checkGrants(user, field, required)
    if (grant.ok) next()
    else sendFailure(res, grant)
  }
  Object.defineProperty(check, 'name', { value: `${name}(${required.join(', ')})` })
  return check
}

/** Middleware that answers 403 `insufficient_scope` unless the user holds every one of `scopes`. */
function requireScopes(...scopes) {
  return grantsMiddleware('requireScopes', 'scopes', scopes)
}

/** Middleware that answers 403 `insufficient_scope` unless the user holds every one of `roles`. */
function requireRoles(...roles) {
  return grantsMiddleware('requireRoles', 'roles', roles)
}

/**
 * Middleware for `Idempotency-Key`: the first request with a key runs and its response is
 * stored; a retry with the same key and payload gets that response again (with
 * `Idempotent-Replayed: true`); the same key with another payload, or while the first still
 * runs, gets a 409. Mount it after the body parser and after authentication (the key is
 * scoped to `req.user.userId` by default).
 */
function idempotency(options) {
  const { start } = createRequestIdempotency(options)
  return function idempotencyMiddleware(req, res, next) {
    start(req, res).then((outcome) => {
      if (outcome.kind === 'reject') {
        try {
          sendFailure(res, outcome)
        } catch (error) {
          next(error)
        }
      } else if (outcome.kind !== 'replayed') {
        next()
      }
    }, next)
  }
}

// --- rate limiting ----------------------------------------------------------------------------

const clientAddress = (req) => req.ip ?? req.socket?.remoteAddress

/**
 * Middleware that allows `limit` requests per `window` for each key (default: the client's
 * address, `req.ip`) and answers the rest with 429 as @nestjs/throttler does. A store that
 * fails answers 503, unless `failOpen` lets requests through.
 */
function rateLimit(options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw argTypeError('options', 'an object', options)
  }
  const { key = clientAddress, skip, headers = true, failOpen = false } = options
  if (typeof key !== 'function') throw argTypeError('options.key', 'a function', key)
  if (skip !== undefined && typeof skip !== 'function') throw argTypeError('options.skip', 'a function', skip)
  if (typeof headers !== 'boolean') throw argTypeError('options.headers', 'a boolean', headers)
  if (typeof failOpen !== 'boolean') throw argTypeError('options.failOpen', 'a boolean', failOpen)
  const limiter = new RateLimiter({ store: options.store, limit: options.limit, window: options.window, name: options.name })

  function answer(res, next, decision) {
    for (const [name, value] of decisionHeaders(decision, headers)) res.setHeader(name, value)
    if (decision.allowed) next()
    else sendJson(res, 429, TOO_MANY_REQUESTS)
  }

  function fail(res, next, error) {
    if (!isStoreFailure(error)) next(error)
    else if (failOpen) next()
    else sendJson(res, 503, STORE_UNAVAILABLE)
  }

  return function rateLimitMiddleware(req, res, next) {
    let decision
    try {
      if (skip !== undefined && skip(req) === true) {
        next()
        return
      }
      const k = key(req)
      decision = typeof k?.then === 'function' ? k.then((value) => limiter[kDecide](value)) : limiter[kDecide](k)
    } catch (error) {
      fail(res, next, error)
      return
    }
    // Synchronous on the memory store, unless `key` returned a promise.
    if (typeof decision.then === 'function') decision.then((settled) => answer(res, next, settled), (error) => fail(res, next, error))
    else answer(res, next, decision)
  }
}

module.exports = { createAuthMiddleware, requireScopes, requireRoles, idempotency, rateLimit }
