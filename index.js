'use strict'

const { FerroAuthError, ErrorCodes } = require('./js/errors.js')
const { TokenSigner, TokenVerifier, signAccessToken, verifyAccessToken, toUserPayload } = require('./js/jwt.js')

module.exports = {
  FerroAuthError,
  ErrorCodes,
  TokenSigner,
  TokenVerifier,
  signAccessToken,
  verifyAccessToken,
  toUserPayload,
}
