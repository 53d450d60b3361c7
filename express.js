'use strict'

// `ferroauth/express`: Express (4 or 5) middleware. It does not require express itself,
// so it also works with Connect and a plain node:http server.

const { createAuthMiddleware, requireScopes, requireRoles, idempotency, rateLimit } = require('./js/express.js')
const { setRefreshCookie, clearRefreshCookie, readRefreshCookie } = require('./js/cookies.js')

module.exports = {
  createAuthMiddleware,
  requireScopes,
  requireRoles,
  setRefreshCookie,
  clearRefreshCookie,
  readRefreshCookie,
  idempotency,
  rateLimit,
}
