// weighted-round-robin: nginx's smooth weighted round-robin — exact proportions over
// every cycle of total-weight picks, and no bursts inside a cycle.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { weightedRoundRobin } from '../src/upstream/balancers/weighted-round-robin.js'
import { countPicks, ctx, disable, enable, fakeTargets, nameOf } from './helpers/fake-targets.js'

test('weights 5,1,1 give nginx\'s sequence a a b a c a a, repeating', () => {
  const b = weightedRoundRobin(fakeTargets(5, 1, 1))
  const picks = Array.from({ length: 14 }, () => nameOf(b.pick(ctx())))
  assert.equal(picks.join(''), 'aabacaa'.repeat(2))
})

test('proportional: exactly weight/total of 10,000 picks (to the cycle) for weights 3,2,1,4', () => {
  const b = weightedRoundRobin(fakeTargets(3, 2, 1, 4))
  assert.deepEqual(countPicks(() => b.pick(ctx()), 10_000), { a: 3000, b: 2000, c: 1000, d: 4000 })
})

test('smooth: in every window of total-weight consecutive picks no target exceeds ceil(its share)', () => {
  for (const weights of [[5, 1, 1], [3, 1, 1], [7, 3, 2, 1], [10, 10, 1], [100, 1]]) {
    const b = weightedRoundRobin(fakeTargets(...weights))
    const total = weights.reduce((s, w) => s + w, 0)
    const picks = Array.from({ length: total * 20 }, () => nameOf(b.pick(ctx())))
    for (let start = 0; start + total <= picks.length; start++) {
      const window = picks.slice(start, start + total)
      weights.forEach((w, i) => {
        const name = String.fromCharCode(97 + i)
        const got = window.filter((p) => p === name).length
        assert.ok(got <= Math.ceil(w), `${weights}: ${name} ${got} times in window at ${start}`)
      })
    }
    // And a light target is never starved for longer than one cycle.
    weights.forEach((_, i) => {
      const name = String.fromCharCode(97 + i)
      const at = picks.flatMap((p, k) => p === name ? [k] : [])
      for (let k = 1; k < at.length; k++) assert.ok((at[k] as number) - (at[k - 1] as number) <= total, `${weights}: gap for ${name}`)
    })
  }
})

test('skips unavailable targets; the rest keep their relative weights', () => {
  const targets = fakeTargets(3, 5, 1)
  const b = weightedRoundRobin(targets)
  disable(targets[1])
  assert.deepEqual(countPicks(() => b.pick(ctx()), 4000), { a: 3000, c: 1000 })
})

test('a target coming back is not owed a burst', () => {
  const targets = fakeTargets(1, 1)
  const b = weightedRoundRobin(targets)
  disable(targets[1])
  for (let i = 0; i < 50; i++) b.pick(ctx())
  enable(targets[1])
  const picks = Array.from({ length: 6 }, () => nameOf(b.pick(ctx()))).join('')
  assert.ok(!picks.includes('bb'), picks)
})

test('undefined when no target is available', () => {
  const targets = fakeTargets(2, 1)
  disable(...targets)
  assert.equal(weightedRoundRobin(targets).pick(ctx()), undefined)
})
