'use strict'

const { FerroAuthError, ErrorCodes } = require('./js/errors.js')
const { TokenSigner, TokenVerifier, signAccessToken, verifyAccessToken, toUserPayload } = require('./js/jwt.js')
const { createAuthMiddleware } = require('./js/express.js')
const {
  hashPassword,
  hashPasswordSync,
  verifyPassword,
  verifyPasswordOrDummy,
  needsRehash,
  checkPasswordPolicy,
} = require('./js/password.js')
const { generateCodeVerifier, generateCodeChallenge, randomToken } = require('./js/pkce.js')
const { MemoryStore, RedisStore } = require('./js/store.js')
const { RefreshTokenManager, createRefreshToken, hashRefreshToken } = require('./js/refresh.js')
const { setRefreshCookie, clearRefreshCookie, readRefreshCookie } = require('./js/cookies.js')
const { IdempotencyStore, requestFingerprint } = require('./js/idempotency.js')
const { RateLimiter } = require('./js/ratelimit.js')

module.exports = {
  FerroAuthError,
  ErrorCodes,
  TokenSigner,
  TokenVerifier,
  signAccessToken,
  verifyAccessToken,
  toUserPayload,
  createAuthMiddleware,
  hashPassword,
  hashPasswordSync,
  verifyPassword,
  verifyPasswordOrDummy,
  needsRehash,
  checkPasswordPolicy,
  generateCodeVerifier,
  generateCodeChallenge,
  MemoryStore,
  RedisStore,
  RefreshTokenManager,
  createRefreshToken,
  hashRefreshToken,
  randomToken,
  setRefreshCookie,
  clearRefreshCookie,
  readRefreshCookie,
  IdempotencyStore,
  requestFingerprint,
  RateLimiter,
}
