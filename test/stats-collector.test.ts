// The /stats collector on an injected clock: the window rolls second by second, rates
// divide by the time actually covered, status classes and error rates, percentiles
// within the buckets' precision, and the reload log.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { StatsCollector } from '../src/stats/collector.js'
import { BUCKETS, MIN_MS, PRECISION, bucketOf, quantile } from '../src/stats/latency-buckets.js'
import { ReloadLog } from '../src/stats/reload-log.js'

/** A collector whose clock the test moves, in seconds. */
function clocked (): { stats: StatsCollector, at: (seconds: number) => void } {
  let ms = 0
  const stats = new StatsCollector({ now: () => ms })
  return { stats, at: (seconds) => { ms = seconds * 1000 } }
}

const within = (actual: number | null, expected: number): void => {
  assert.ok(actual !== null, `expected about ${expected}, got null`)
  const ratio = actual / expected
  assert.ok(ratio <= PRECISION && ratio >= 1 / PRECISION, `${actual} is not within ×${PRECISION.toFixed(3)} of ${expected}`)
}

test('a request counts in the window for windowSeconds seconds, then only in the total', () => {
  const { stats, at } = clocked()
  at(0.5)
  stats.record('a', 200, 0.01)
  stats.record('a', 200, 0.01)
  at(59.99)
  assert.equal(stats.route('a').count, 2)
  at(60)
  assert.equal(stats.route('a').count, 0)
  assert.equal(stats.route('a').total, 2)
  assert.equal(stats.route('a').rate, 0)
  assert.equal(stats.route('a').p50, null)
})

test('a slot reused a lap later starts from zero', () => {
  const { stats, at } = clocked()
  at(1.2)
  for (let i = 0; i < 5; i++) stats.record('a', 500, 0.2)
  at(61.7) // the same slot as second 1, one lap on
  stats.record('a', 200, 0.002)
  const w = stats.route('a')
  assert.equal(w.count, 1)
  assert.deepEqual(w.byClass, { '2xx': 1, '3xx': 0, '4xx': 0, '5xx': 0 })
  within(w.p99, 2)
  assert.equal(w.total, 6)
})

test('the rate divides by the seconds covered: the process age until it fills the window', () => {
  const { stats, at } = clocked()
  // 2 requests a second for 30 s.
  for (let s = 0; s < 30; s++) {
    at(s + 0.5)
    stats.record('a', 200, 0.01)
    stats.record('a', 200, 0.01)
  }
  at(30)
  assert.equal(stats.route('a').rate, 2)
  // 90 s on, only the last 60 s count: 30 s of traffic over a full window.
  for (let s = 30; s < 90; s++) {
    at(s + 0.5)
    if (s >= 60) stats.record('a', 200, 0.01)
  }
  at(90)
  assert.equal(stats.route('a').count, 30)
  assert.equal(stats.route('a').rate, 0.5)
})

test('status classes and the 5xx share, per route and overall; 1xx counts as success', () => {
  const { stats, at } = clocked()
  at(10)
  for (const status of [200, 201, 101, 304, 404, 429, 500, 502]) stats.record('a', status, 0.001)
  stats.record('b', 503, 0.001)
  stats.record('b', 200, 0.001)
  const a = stats.route('a')
  assert.deepEqual(a.byClass, { '2xx': 3, '3xx': 1, '4xx': 2, '5xx': 2 })
  assert.equal(a.errorRate, 0.25)
  assert.equal(stats.route('b').errorRate, 0.5)
  const all = stats.overall()
  assert.equal(all.count, 10)
  assert.equal(all.total, 10)
  assert.equal(all.errorRate, 0.3)
  const never = stats.route('never')
  assert.deepEqual([never.total, never.count, never.rate, never.errorRate, never.p50, never.p99], [0, 0, 0, 0, null, null])
})

test('percentiles are estimated within the buckets\' precision', () => {
  const { stats, at } = clocked()
  at(5)
  // 1 ms … 1000 ms, one request each: p50 = 500 ms, p90 = 900 ms, p99 = 990 ms.
  for (let ms = 1; ms <= 1000; ms++) stats.record('a', 200, ms / 1000)
  const w = stats.route('a')
  within(w.p50, 500)
  within(w.p90, 900)
  within(w.p99, 990)
  // Spread over many seconds of the window, the estimates hold the same.
  const spread = clocked()
  for (let i = 0; i < 600; i++) {
    spread.at(i / 10)
    spread.stats.record('b', 200, i < 540 ? 0.004 : 0.25) // 90 % at 4 ms, 10 % at 250 ms
  }
  const b = spread.stats.route('b')
  within(b.p50, 4)
  within(b.p90, 4)
  within(b.p99, 250)
})

test('the buckets: tiny, non-numbers and huge latencies land in the end buckets', () => {
  assert.equal(bucketOf(0), 0)
  assert.equal(bucketOf(MIN_MS), 0)
  assert.equal(bucketOf(Number.NaN), 0)
  assert.equal(bucketOf(1e9), BUCKETS - 1)
  const counts = new Uint32Array(BUCKETS)
  counts[bucketOf(1e9)] = 1
  const slowest = quantile(counts, 1, 0.5)
  assert.ok(slowest !== null && slowest > 60_000, `open-ended bucket reads ${slowest}`)
  assert.equal(quantile(counts, 0, 0.5), null)
  for (const ms of [0.15, 0.9, 3, 47, 180, 2500, 30_000]) within(quantile(Object.assign(new Uint32Array(BUCKETS), { [bucketOf(ms)]: 1 }), 1, 0.99), ms)
})

test('the reload log keeps the 20 newest, newest first, and skips unchanged', () => {
  const log = new ReloadLog()
  log.add({ result: 'unchanged', at: 'x', generation: 1 })
  assert.deepEqual(log.recent(), [])
  for (let i = 1; i <= 25; i++) log.add({ result: i % 5 === 0 ? 'failure' : 'success', at: `t${i}`, generation: i, ...(i % 5 === 0 ? { error: `bad ${i}` } : {}) })
  const recent = log.recent()
  assert.equal(recent.length, 20)
  assert.deepEqual(recent[0], { result: 'failure', at: 't25', generation: 25, error: 'bad 25' })
  assert.deepEqual(recent[1], { result: 'success', at: 't24', generation: 24 })
  assert.equal(recent.at(-1)?.generation, 6)
})
