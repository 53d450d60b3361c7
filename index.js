'use strict'

const { FerroAuthError, ErrorCodes } = require('./js/errors.js')
const { TokenSigner, TokenVerifier, signAccessToken, verifyAccessToken, toUserPayload } = require('./js/jwt.js')
const { createAuthMiddleware } = require('./js/express.js')

module.exports = {
  FerroAuthError,
  ErrorCodes,
  TokenSigner,
  TokenVerifier,
  signAccessToken,
  verifyAccessToken,
  toUserPayload,
  createAuthMiddleware,
}
