'use strict'

// Refresh-token cookies: setRefreshCookie and clearRefreshCookie. They write the Set-Cookie
// header themselves with getHeader/setHeader (not Express's res.cookie), so they work the same
// on Express 4 and 5, NestJS over Express (`@Res({ passthrough: true })`) and a plain
// node:http response. Every input is checked before anything is written: a cookie a browser
// would drop without a word (SameSite=None without Secure, a bad name or value) is an error here.

const { types } = require('node:util')
const { FerroAuthError, ErrorCodes, argTypeError } = require('./errors.js')
const { isString, isBoolean, isDuration, isPlainObject, optionsObject, optional, settle } = require('./options.js')
const native = require('../binding.js')
const { cookieToken } = require('./authenticate.js')

const DEFAULT_NAME = 'rt'
// Sent only to the refresh route, so every other request (and any XSS-driven fetch to
// another path) never carries the token.
const DEFAULT_PATH = '/auth/refresh'
// The RefreshTokenManager's default ttl.
const DEFAULT_MAX_AGE = 7 * 86_400
const EPOCH = new Date(0).toUTCString()

const OPTIONS = ['name', 'path', 'domain', 'secure', 'sameSite', 'maxAge', 'expires']
const SAME_SITE = new Map([
  ['lax', 'Lax'],
  ['strict', 'Strict'],
  ['none', 'None'],
])

// RFC 6265 §4.1.1: cookie-name is an RFC 2616 token; cookie-value is cookie-octets (no
// whitespace, DQUOTE, comma, semicolon or backslash). Refresh tokens are base64url with a prefix.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/
// A host name, optionally with the leading dot older docs (and the reference setup) use.
const DOMAIN = /^\.?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i
// An absolute path of printable ASCII without ';' (a path not starting with '/' is silently
// replaced by the request's directory in browsers, RFC 6265 §5.2.4).
const PATH = /^\/[\x20-\x3A\x3C-\x7E]*$/
// RFC 6265 §6.1 and browsers: name and value together may take 4096 bytes; a longer cookie is dropped.
const MAX_NAME_AND_VALUE = 4096

const invalid = (message) => new FerroAuthError(ErrorCodes.ERR_INVALID_OPTION, message)

function responseArgument(res) {
  if (res === null || typeof res !== 'object' || typeof res.getHeader !== 'function' || typeof res.setHeader !== 'function') {
    throw argTypeError('res', 'a response (Express, NestJS over Express, or node:http)', res)
  }
  return res
}

/** The options object, refusing keys it does not know: a typo (`samesite`) must not weaken the cookie. */
function cookieOptions(options) {
  const opts = optionsObject(options)
  for (const key of Object.keys(opts)) {
    if (OPTIONS.includes(key)) continue
    const why = key === 'httpOnly' ? 'refresh cookies are always HttpOnly' : `the options are ${OPTIONS.join(', ')}`
    throw invalid(`options.${key}: unknown option (${why})`)
  }
  return opts
}

function sameSiteOption(opts) {
  const value = optional(opts, 'sameSite', isString, "'lax', 'strict' or 'none'")
  if (value === undefined) return undefined
  const sameSite = SAME_SITE.get(value.toLowerCase())
  if (sameSite === undefined) throw invalid(`options.sameSite: ${JSON.stringify(value)} is not 'lax', 'strict' or 'none'`)
  return sameSite
}

/** Browsers refuse `__Secure-` and `__Host-` cookies that break their prefix's rules (RFC 6265bis §4.1.3). */
function checkPrefix({ name, path, domain, secure }) {
  const lower = name.toLowerCase()
  if ((lower.startsWith('__secure-') || lower.startsWith('__host-')) && !secure) {
    throw invalid(`options.name: a ${name.slice(0, name.indexOf('-') + 1)} cookie needs secure: true`)
  }
  if (lower.startsWith('__host-') && (path !== '/' || domain !== undefined)) {
    throw invalid(`options.name: a __Host- cookie needs path: '/' and no domain`)
  }
}

/**
 * What identifies the cookie and how it is sent: the same for setting and clearing it.
 * Production (`NODE_ENV=production`, read at each call) means Secure and SameSite=None, for a
 * frontend on another site; development means SameSite=Lax without Secure, for http://localhost.
 */
function cookieAttributes(opts) {
  const name = optional(opts, 'name', isString, 'a string') ?? DEFAULT_NAME
  if (!COOKIE_NAME.test(name)) {
    throw invalid(`options.name: ${JSON.stringify(name)} is not a cookie name (letters, digits and !#$%&'*+-.^_\`|~)`)
  }
  const path = optional(opts, 'path', isString, 'a string') ?? DEFAULT_PATH
  if (!PATH.test(path)) throw invalid(`options.path: ${JSON.stringify(path)} must start with "/" and hold printable ASCII other than ";"`)
  const domain = optional(opts, 'domain', isString, 'a string')
  if (domain !== undefined && !DOMAIN.test(domain)) {
    throw invalid(`options.domain: ${JSON.stringify(domain)} is not a host name (leave it undefined for a host-only cookie)`)
  }
  const production = process.env.NODE_ENV === 'production'
  const secure = optional(opts, 'secure', isBoolean, 'a boolean') ?? production
  const sameSite = sameSiteOption(opts) ?? (production ? 'None' : 'Lax')
  if (sameSite === 'None' && !secure) {
    throw invalid("options.sameSite: SameSite=None needs Secure, or browsers drop the cookie (set secure: true, or sameSite: 'lax')")
  }
  const attributes = { name, path, domain, secure, sameSite }
  checkPrefix(attributes)
  return attributes
}

/** `{ value, expiresAt }` from a token string or from what `issue()`/`rotate()` resolve with. */
function tokenArgument(token) {
  let value = token
  let expiresAt
  if (!isString(token)) {
    if (!isPlainObject(token)) throw argTypeError('token', 'a string or an object { token, expiresAt }', token)
    value = token.token
    if (!isString(value)) throw argTypeError('token.token', 'a string', value)
    expiresAt = token.expiresAt
    if (types.isDate(expiresAt)) expiresAt = expiresAt.getTime()
    else if (typeof expiresAt !== 'number') {
      throw argTypeError('token.expiresAt', 'a Date or a number (milliseconds since the epoch)', expiresAt)
    }
  }
  // The messages never quote the token: it is a credential.
  if (value === '') throw invalid('token: is empty')
  if (!COOKIE_VALUE.test(value)) {
    throw invalid('token: holds characters a cookie value cannot (whitespace, control characters, ", comma, ; or \\)')
  }
  return { value, expiresAt }
}

/** Max-Age in whole seconds and the matching Expires, at least one second ahead. */
function lifetimeFromSeconds(seconds, now, option) {
  const maxAge = Math.floor(seconds)
  if (maxAge < 1) throw invalid(`${option}: a refresh cookie must live at least 1 second (clearRefreshCookie removes it)`)
  const expires = new Date(now + maxAge * 1000)
  if (Number.isNaN(expires.getTime())) throw invalid(`${option}: is too far in the future`)
  return { maxAge, expires }
}

function lifetimeUntil(ms, now, option) {
  const expires = new Date(ms)
  if (Number.isNaN(expires.getTime())) throw invalid(`${option}: is not a valid time`)
  const maxAge = Math.floor((ms - now) / 1000)
  if (maxAge < 1) throw invalid(`${option}: is not at least 1 second in the future`)
  return { maxAge, expires }
}

/**
 * How long the cookie lives: `maxAge`, else `expires`, else the token's own `expiresAt`, else
 * 7 days. An explicit option wins over the token object, as the caller wrote it at the call.
 */
function lifetime(opts, expiresAt) {
  const maxAge = optional(opts, 'maxAge', isDuration, 'seconds or a duration string')
  const expires = optional(opts, 'expires', types.isDate, 'a Date')
  if (maxAge !== undefined && expires !== undefined) throw invalid('options.maxAge, options.expires: give one of them, not both')
  const now = Date.now()
  if (maxAge !== undefined) return lifetimeFromSeconds(settle(native.parseDuration(maxAge, 'options.maxAge')), now, 'options.maxAge')
  if (expires !== undefined) return lifetimeUntil(expires.getTime(), now, 'options.expires')
  if (expiresAt !== undefined) return lifetimeUntil(expiresAt, now, 'token.expiresAt')
  return lifetimeFromSeconds(DEFAULT_MAX_AGE, now, 'maxAge')
}

/** The Set-Cookie line, attributes in the order Express's `res.cookie` writes them. */
function serialize({ name, path, domain, secure, sameSite }, value, maxAge, expires) {
  let cookie = `${name}=${value}; Max-Age=${maxAge}`
  if (domain !== undefined) cookie += `; Domain=${domain}`
  cookie += `; Path=${path}; Expires=${expires}; HttpOnly`
  if (secure) cookie += '; Secure'
  return `${cookie}; SameSite=${sameSite}`
}

const hostOf = (domain) => domain?.replace(/^\./, '').toLowerCase()

/** True when a Set-Cookie line sets the cookie `attributes` name (same name, path and domain). */
function sameCookie(line, { name, path, domain }) {
  const [pair, ...rest] = String(line).split(';')
  const equals = pair.indexOf('=')
  if (equals === -1 || pair.slice(0, equals).trim() !== name) return false
  let linePath
  let lineDomain
  for (const attribute of rest) {
    const at = attribute.indexOf('=')
    const key = (at === -1 ? attribute : attribute.slice(0, at)).trim().toLowerCase()
    const val = at === -1 ? '' : attribute.slice(at + 1).trim()
    if (key === 'path') linePath = val
    else if (key === 'domain') lineDomain = hostOf(val)
  }
  return linePath === path && lineDomain === hostOf(domain)
}

/**
 * Adds `cookie` to the response's Set-Cookie headers: the ones already set stay, except an
 * earlier line for the same cookie, which a browser would let the later one override anyway.
 */
function writeCookie(res, attributes, cookie) {
  const current = res.getHeader('Set-Cookie')
  const lines = current === undefined ? [] : Array.isArray(current) ? current : [String(current)]
  const kept = lines.filter((line) => !sameCookie(line, attributes))
  kept.push(cookie)
  res.setHeader('Set-Cookie', kept)
}

/**
 * Sets the refresh-token cookie: HttpOnly; Secure and SameSite=None in production, SameSite=Lax
 * in development; Path /auth/refresh; Max-Age and Expires from the options, the token's
 * `expiresAt`, or 7 days. `token` is a string or what `RefreshTokenManager.issue()`/`rotate()` resolve with.
 */
function setRefreshCookie(res, token, options) {
  responseArgument(res)
  const { value, expiresAt } = tokenArgument(token)
  const opts = cookieOptions(options)
  const attributes = cookieAttributes(opts)
  if (attributes.name.length + 1 + value.length > MAX_NAME_AND_VALUE) {
    throw invalid(`token: the cookie's name and value exceed ${MAX_NAME_AND_VALUE} bytes, which browsers drop`)
  }
  const { maxAge, expires } = lifetime(opts, expiresAt)
  writeCookie(res, attributes, serialize(attributes, value, maxAge, expires.toUTCString()))
}

/**
 * Removes the refresh-token cookie: the same name, path, domain, SameSite and Secure as
 * `setRefreshCookie` with the same options, an empty value, Max-Age=0 and an Expires in 1970.
 * `maxAge` and `expires` are ignored, so one options object serves both calls.
 */
function clearRefreshCookie(res, options) {
  responseArgument(res)
  const attributes = cookieAttributes(cookieOptions(options))
  writeCookie(res, attributes, serialize(attributes, '', 0, EPOCH))
}

/**
 * The refresh token the browser sent in the cookie `setRefreshCookie` sets with the same
 * options, or undefined. Reads `req.cookies` when cookie-parser ran, the Cookie header
 * otherwise, so no cookie middleware is needed. Only `name` matters here; the other options
 * are accepted (and checked) so that one options object serves all three helpers.
 */
function readRefreshCookie(req, options) {
  if (req === null || typeof req !== 'object' || req.headers === null || typeof req.headers !== 'object') {
    throw argTypeError('req', 'a request (Express, NestJS over Express, or node:http)', req)
  }
  const { name } = cookieAttributes(cookieOptions(options))
  return cookieToken(req, name)
}

module.exports = { setRefreshCookie, clearRefreshCookie, readRefreshCookie }
