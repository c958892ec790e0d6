// round-robin: each available target in turn, weights ignored.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { roundRobin } from '../src/upstream/balancers/round-robin.js'
import { countPicks, ctx, disable, fakeTargets, nameOf } from './helpers/fake-targets.js'

test('takes the targets in turn and ignores weights', () => {
  const targets = fakeTargets(5, 1, 1)
  const b = roundRobin(targets)
  assert.deepEqual(Array.from({ length: 6 }, () => nameOf(b.pick(ctx()))), ['a', 'b', 'c', 'a', 'b', 'c'])
})

test('skips unavailable targets and keeps the turn order among the rest', () => {
  const targets = fakeTargets(1, 1, 1)
  const b = roundRobin(targets)
  disable(targets[1])
  assert.deepEqual(countPicks(() => b.pick(ctx()), 100), { a: 50, c: 50 })
})

test('undefined when no target is available', () => {
  const targets = fakeTargets(1, 1)
  disable(...targets)
  assert.equal(roundRobin(targets).pick(ctx()), undefined)
})
