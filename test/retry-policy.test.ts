// The retry policy's parts, without a gateway or real sleeps: backoff with injected
// randomness, the budget with an injected clock, which methods and failures retry.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { mayRetryMethod, RetryBudget, RetryPolicy } from '../src/upstream/retry.js'

const policy = new RetryPolicy({ attempts: 5, backoff: 100, maxBackoff: 1000, on: ['connect-failure', 'timeout', 502, 503] })

test('backoff is exponential with full jitter, capped at maxBackoff', () => {
  const top = (): number => 0.999999
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => policy.delay(n, top)), [99, 199, 399, 799, 999, 999])
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => policy.delay(n, () => 0)), [0, 0, 0, 0, 0, 0])
  assert.equal(policy.delay(3, () => 0.5), 200)
  let seed = 1
  const random = (): number => { seed = (seed * 16807) % 2147483647; return (seed - 1) / 2147483646 }
  for (let n = 1; n <= 8; n++) {
    for (let i = 0; i < 200; i++) {
      const d = policy.delay(n, random)
      assert.ok(d >= 0 && d < Math.min(1000, 100 * 2 ** (n - 1)), `retry ${n}: ${d}`)
    }
  }
})

test('only the listed conditions retry', () => {
  assert.equal(policy.retriesStatus(502), true)
  assert.equal(policy.retriesStatus(503), true)
  assert.equal(policy.retriesStatus(504), false)
  assert.equal(policy.retriesStatus(500), false)
  assert.equal(policy.retriesError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), true)
  assert.equal(policy.retriesError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' })), true)
  assert.equal(policy.retriesError(Object.assign(new Error('x'), { code: 'ECONNRESET' })), false, 'reset is not listed')
  assert.equal(policy.retriesError(new Error('x', { cause: Object.assign(new Error('y'), { code: 'ECONNREFUSED' }) })), true)
  assert.equal(policy.retriesError(new Error('no code')), false)
})

test('idempotent methods retry; POST and PATCH only with an Idempotency-Key', () => {
  for (const m of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']) assert.equal(mayRetryMethod(m, {}), true, m)
  for (const m of ['POST', 'PATCH']) {
    assert.equal(mayRetryMethod(m, {}), false, m)
    assert.equal(mayRetryMethod(m, { 'idempotency-key': 'k1' }), true, m)
  }
  assert.equal(mayRetryMethod('CONNECT', { 'idempotency-key': 'k1' }), false)
})

test('the budget allows 20% of requests plus a reserve of 3 per second of the window, sliding', () => {
  let now = 0
  const budget = new RetryBudget(0.2, 3, 10, 1000, () => now)
  let allowed = 0
  for (let i = 0; i < 1000; i++) {
    budget.request()
    if (budget.tryRetry()) allowed++
  }
  assert.equal(allowed, 200 + 30, '20% of 1000 plus the 30 reserve')
  now += 5000
  for (let i = 0; i < 10; i++) assert.equal(budget.tryRetry(), false, 'still inside the window')
  now += 5000 // the first bucket has left the window
  assert.equal(budget.tryRetry(), true)
  now += 60_000
  let quiet = 0
  while (budget.tryRetry()) quiet++
  assert.equal(quiet, 30, 'with no traffic, only the reserve')
})
