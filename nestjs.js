'use strict'

// `ferroauth/nestjs`: requires @nestjs/common and @nestjs/core (optional peer dependencies).
// `require('ferroauth')` never loads this file.

const {
  JwtAuthGuard,
  IdempotencyInterceptor,
  FerroAuthModule,
  FERROAUTH_OPTIONS,
  Public,
  CurrentUser,
  Scopes,
  Roles,
  RequireStatus,
  IS_PUBLIC_KEY,
  SCOPES_KEY,
  ROLES_KEY,
  REQUIRED_STATUS_KEY,
  REQUIRED_STATUS_MESSAGE,
  RateLimitGuard,
  RateLimit,
  SkipRateLimit,
  RATE_LIMIT_KEY,
  SKIP_RATE_LIMIT_KEY,
} = require('./js/nestjs.js')
const { setRefreshCookie, clearRefreshCookie, readRefreshCookie } = require('./js/cookies.js')

module.exports = {
  JwtAuthGuard,
  IdempotencyInterceptor,
  FerroAuthModule,
  FERROAUTH_OPTIONS,
  Public,
  CurrentUser,
  Scopes,
  Roles,
  RequireStatus,
  IS_PUBLIC_KEY,
  SCOPES_KEY,
  ROLES_KEY,
  REQUIRED_STATUS_KEY,
  REQUIRED_STATUS_MESSAGE,
  RateLimitGuard,
  RateLimit,
  SkipRateLimit,
  RATE_LIMIT_KEY,
  SKIP_RATE_LIMIT_KEY,
  setRefreshCookie,
  clearRefreshCookie,
  readRefreshCookie,
}
