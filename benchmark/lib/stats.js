'use strict'

// The statistics the benchmarks report: medians of rounds, and how sure such a median is.

/** The values that are not undefined (a skipped round), in ascending order. */
const sortedValues = (values) => values.filter((v) => v !== undefined).sort((a, b) => a - b)

/** The median of the values that are not undefined; undefined when none are. */
function median(values) {
  const sorted = sortedValues(values)
  if (sorted.length === 0) return undefined
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * A 95 % confidence interval of the median from the order statistics of the values (ranks
 * n/2 ∓ 0.98√n), which assumes nothing about how a busy machine spreads them.
 */
function medianInterval(values) {
  const sorted = sortedValues(values)
  const n = sorted.length
  if (n === 0) return undefined
  const half = 0.98 * Math.sqrt(n)
  const lower = Math.max(1, Math.floor(n / 2 - half))
  const upper = Math.min(n, Math.ceil(1 + n / 2 + half))
  return [sorted[lower - 1], sorted[upper - 1]]
}

module.exports = { median, medianInterval }
