'use strict'

// Durations as users write them: seconds as a number, or strings like '15m' and '7d'.
// The native core has its own parser (src/duration.rs) but does not export it; the cookie
// helpers need one without a round trip, so this mirrors it form for form: the same units,
// the same refusals, the same message. __test__/cookies.test.js checks the two agree.

const { FerroAuthError, ErrorCodes } = require('./errors.js')

// The characters Rust's `str::trim` removes (Unicode White_Space). JS's `trim()` also removes
// U+FEFF and keeps U+0085, so it would accept strings the core refuses.
const WHITESPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000'
const TRIM = new RegExp(`^[${WHITESPACE}]+|[${WHITESPACE}]+$`, 'g')
const trim = (text) => text.replace(TRIM, '')

// Seconds per unit, by every spelling the core accepts (compared in ASCII lowercase).
const UNITS = new Map()
const spell = (seconds, ...names) => names.forEach((name) => UNITS.set(name, seconds))
spell(1, '', 's', 'sec', 'secs', 'second', 'seconds')
spell(0.001, 'ms', 'msec', 'msecs', 'millisecond', 'milliseconds')
spell(60, 'm', 'min', 'mins', 'minute', 'minutes')
spell(3_600, 'h', 'hr', 'hrs', 'hour', 'hours')
spell(86_400, 'd', 'day', 'days')
spell(604_800, 'w', 'week', 'weeks')
spell(31_557_600, 'y', 'yr', 'yrs', 'year', 'years')

// Only ASCII letters are lowered, as Rust's `to_ascii_lowercase` does: 'ſ' or 'K' (Kelvin)
// must not turn into a unit.
const asciiLower = (text) => text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32))

/** Seconds in `text`, or undefined when it is not a duration. */
function parseText(text) {
  const trimmed = trim(text)
  const number = /^[0-9.]*/.exec(trimmed)[0]
  if (number === '' || number.startsWith('.') || number.endsWith('.')) return undefined
  const value = Number(number) // NaN for '1.2.3', as Rust's f64 parse fails on it
  const unit = UNITS.get(asciiLower(trim(trimmed.slice(number.length))))
  if (Number.isNaN(value) || unit === undefined) return undefined
  return value * unit
}

/**
 * A duration option in seconds (possibly fractional). `option` names the setting in errors.
 * Throws `ERR_INVALID_OPTION` for text that is not a duration, a negative or an infinite one.
 * The caller has checked the type (a number or a string).
 */
function parseSeconds(value, option) {
  const seconds = typeof value === 'number' ? value : parseText(value)
  if (seconds === undefined) {
    throw new FerroAuthError(
      ErrorCodes.ERR_INVALID_OPTION,
      `${option}: ${JSON.stringify(value)} is not a duration (use seconds, or a string like "30s", "15m", "12h", "7d")`,
    )
  }
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new FerroAuthError(ErrorCodes.ERR_INVALID_OPTION, `${option}: must be a finite, non-negative duration`)
  }
  return seconds
}

module.exports = { parseSeconds }
