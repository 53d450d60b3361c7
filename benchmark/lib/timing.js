'use strict'

// Timing loops shared by the store benchmarks: calls one after another (median latency) and
// many calls in flight (throughput and process CPU per call).

const now = () => Number(process.hrtime.bigint()) / 1e6

const { median } = require('./stats.js')

/**
 * Calls made one after another: at least `samples`, and on until `seconds` have passed.
 * Resolves with the median latency (ms) and the calls per second.
 */
async function sequential(fn, { samples, seconds }) {
  const latencies = []
  const start = now()
  const deadline = start + seconds * 1000
  while (latencies.length < samples || now() < deadline) {
    const t = now()
    await fn()
    latencies.push(now() - t)
  }
  return { latency: median(latencies), opsPerSec: (latencies.length / (now() - start)) * 1000, count: latencies.length }
}

/**
 * `lanes` calls in flight, each lane starting a new call as the previous ends, until `seconds`
 * have passed (every lane makes at least one). `fn(lane)` gets its lane's number. Resolves with
 * the calls per second, the number of calls, and the CPU time this process (all its threads,
 * the addon's included) spent per call, in µs.
 */
async function concurrent(fn, lanes, { seconds }) {
  let calls = 0
  const cpu = process.cpuUsage()
  const start = now()
  const deadline = start + seconds * 1000
  async function lane(i) {
    do {
      await fn(i)
      calls++
    } while (now() < deadline)
  }
  await Promise.all(Array.from({ length: lanes }, (_, i) => lane(i)))
  const elapsed = now() - start
  const { user, system } = process.cpuUsage(cpu)
  return { opsPerSec: (calls / elapsed) * 1000, calls, cpuPerCall: (user + system) / calls }
}

module.exports = { now, sequential, concurrent }
