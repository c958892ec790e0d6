// p2c-ewma: two distinct random candidates, the lower latency-EWMA × (in-flight + 1) wins.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { p2cEwma } from '../src/upstream/balancers/p2c-ewma.js'
import type { Target } from '../src/upstream/target.js'
import { countPicks, ctx, disable, fakeClock, fakeTargets, nameOf, options } from './helpers/fake-targets.js'

/** Picks `n` times, feeding back each target's latency 1 ms of fake time later. */
function traffic (b: ReturnType<typeof p2cEwma>, clock: ReturnType<typeof fakeClock>, latency: Record<string, number>, n: number): Record<string, number> {
  return countPicks(() => {
    const t = b.pick(ctx())
    clock.advance(1)
    if (t !== undefined) b.observe?.(t, latency[nameOf(t)] ?? 0, true)
    return t
  }, n)
}

test('unseen targets are tried: with no feedback every target gets traffic', () => {
  const b = p2cEwma(fakeTargets(1, 1, 1, 1), options(3))
  const counts = countPicks(() => b.pick(ctx()), 4000)
  for (const name of ['a', 'b', 'c', 'd']) assert.ok((counts[name] ?? 0) > 800, JSON.stringify(counts))
})

test('prefers the faster target after observe() feedback', () => {
  const clock = fakeClock()
  const b = p2cEwma(fakeTargets(1, 1), options(5, clock))
  const counts = traffic(b, clock, { a: 200, b: 10 }, 1000)
  // With two targets both are always the candidates, so after the first samples the slow
  // one is never chosen.
  assert.ok((counts.b ?? 0) >= 990, JSON.stringify(counts))
})

test('with three targets the slowest gets only what the draw forces (never the better of two)', () => {
  const clock = fakeClock()
  const b = p2cEwma(fakeTargets(1, 1, 1), options(9, clock))
  const counts = traffic(b, clock, { a: 5, b: 50, c: 500 }, 3000)
  assert.ok((counts.c ?? 0) <= 10, JSON.stringify(counts))
  assert.ok((counts.a ?? 0) > (counts.b ?? 0), JSON.stringify(counts))
})

test('in-flight requests count: a fast target with a queue loses to an idle slower one', () => {
  const clock = fakeClock()
  const targets = fakeTargets(1, 1)
  const b = p2cEwma(targets, options(1, clock))
  b.observe?.(targets[0] as Target, 10, true)
  b.observe?.(targets[1] as Target, 30, true)
  assert.equal(nameOf(b.pick(ctx())), 'a')
  ;(targets[0] as Target).state.activeRequests = 5 // (10 + 1) × 6 > (30 + 1) × 1
  assert.equal(nameOf(b.pick(ctx())), 'b')
})

test('a failure counts as slow, so a target that fails fast does not attract traffic', () => {
  const clock = fakeClock()
  const targets = fakeTargets(1, 1)
  const b = p2cEwma(targets, options(1, clock))
  b.observe?.(targets[0] as Target, 1, false)
  b.observe?.(targets[1] as Target, 50, true)
  assert.equal(nameOf(b.pick(ctx())), 'b')
})

test('an estimate decays with the injected clock, so a once-slow target is tried again', () => {
  const clock = fakeClock()
  const targets = fakeTargets(1, 1)
  const b = p2cEwma(targets, options(1, clock))
  b.observe?.(targets[0] as Target, 1000, true)
  b.observe?.(targets[1] as Target, 100, true)
  assert.equal(nameOf(b.pick(ctx())), 'b')
  clock.advance(30_000) // both decay by e^-3: 1000 → ~50, 100 → ~5
  assert.equal(nameOf(b.pick(ctx())), 'b')
  b.observe?.(targets[1] as Target, 100, true) // b measured again: back to 100
  assert.equal(nameOf(b.pick(ctx())), 'a')
})

test('the two candidates are distinct and chosen by the injected random', () => {
  const targets = fakeTargets(1, 1, 1)
  const clock = fakeClock()
  // random() → 0 then 0: candidates a and (0 bumped past a) b; a is slower, so b.
  const b = p2cEwma(targets, { random: () => 0, now: clock.now })
  b.observe?.(targets[0] as Target, 100, true)
  b.observe?.(targets[1] as Target, 10, true)
  b.observe?.(targets[2] as Target, 1, true)
  assert.equal(nameOf(b.pick(ctx())), 'b')
})

test('skips unavailable targets, however fast they were', () => {
  const clock = fakeClock()
  const targets = fakeTargets(1, 1, 1)
  const b = p2cEwma(targets, options(2, clock))
  b.observe?.(targets[0] as Target, 1, true)
  disable(targets[0])
  assert.ok(!('a' in countPicks(() => b.pick(ctx()), 500)))
  disable(targets[1])
  assert.deepEqual(countPicks(() => b.pick(ctx()), 10), { c: 10 })
})

test('undefined when no target is available', () => {
  const targets = fakeTargets(1, 1)
  disable(...targets)
  assert.equal(p2cEwma(targets, options()).pick(ctx()), undefined)
})
