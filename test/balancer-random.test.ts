// random: each available target with probability weight / sum of available weights.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { random } from '../src/upstream/balancers/random.js'
import { countPicks, ctx, disable, fakeTargets, options } from './helpers/fake-targets.js'

const PICKS = 10_000
/** Tolerance: ±2 percentage points of the expected share (≈ 4.5σ at p = 0.5 over 10,000 picks). */
const TOLERANCE = 0.02

function assertShares (counts: Record<string, number>, expected: Record<string, number>): void {
  for (const [name, share] of Object.entries(expected)) {
    const got = (counts[name] ?? 0) / PICKS
    assert.ok(Math.abs(got - share) <= TOLERANCE, `${name}: ${got} vs ${share}`)
  }
  assert.deepEqual(Object.keys(counts).sort(), Object.keys(expected).sort())
}

test('picks in proportion to weight (3,1,1 → 60/20/20 %) within ±2 points', () => {
  for (const seed of [1, 2, 3]) {
    const b = random(fakeTargets(3, 1, 1), options(seed))
    assertShares(countPicks(() => b.pick(ctx()), PICKS), { a: 0.6, b: 0.2, c: 0.2 })
  }
})

test('deterministic with an injected random', () => {
  const run = () => { const b = random(fakeTargets(1, 2, 3), options(42)); return countPicks(() => b.pick(ctx()), 100) }
  assert.deepEqual(run(), run())
})

test('the extremes of random() stay in range', () => {
  const targets = fakeTargets(1, 1)
  assert.equal(random(targets, { random: () => 0, now: () => 0 }).pick(ctx()), targets[0])
  assert.equal(random(targets, { random: () => 0.9999999999999999, now: () => 0 }).pick(ctx()), targets[1])
})

test('skips unavailable targets; the rest keep their relative weights', () => {
  const targets = fakeTargets(3, 5, 1)
  disable(targets[1])
  const b = random(targets, options(7))
  assertShares(countPicks(() => b.pick(ctx()), PICKS), { a: 0.75, c: 0.25 })
})

test('undefined when no target is available', () => {
  const targets = fakeTargets(1, 1)
  disable(...targets)
  assert.equal(random(targets, options()).pick(ctx()), undefined)
})
