// least-connections: fewest in-flight requests per unit of weight; ties take turns.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { leastConnections } from '../src/upstream/balancers/least-connections.js'
import type { Target } from '../src/upstream/target.js'
import { countPicks, ctx, disable, fakeTargets, nameOf } from './helpers/fake-targets.js'

function active (targets: Target[], ...counts: number[]): void {
  counts.forEach((n, i) => { (targets[i] as Target).state.activeRequests = n })
}

test('picks the target with the fewest in-flight requests', () => {
  const targets = fakeTargets(1, 1, 1)
  active(targets, 4, 1, 3)
  assert.equal(nameOf(leastConnections(targets).pick(ctx())), 'b')
})

test('weights count: in-flight per unit of weight is compared', () => {
  const targets = fakeTargets(3, 1)
  active(targets, 5, 2) // 5/3 < 2/1
  assert.equal(nameOf(leastConnections(targets).pick(ctx())), 'a')
  active(targets, 7, 2) // 7/3 > 2/1
  assert.equal(nameOf(leastConnections(targets).pick(ctx())), 'b')
})

test('ties go round-robin (idle targets take turns)', () => {
  const b = leastConnections(fakeTargets(1, 1, 1))
  assert.deepEqual(countPicks(() => b.pick(ctx()), 300), { a: 100, b: 100, c: 100 })
})

test('with requests held open, in-flight load settles in proportion to weight', () => {
  const targets = fakeTargets(3, 1, 1)
  const b = leastConnections(targets)
  // 500 requests that never finish: each pick adds one in-flight request to its target.
  for (let i = 0; i < 500; i++) (b.pick(ctx()) as Target).state.activeRequests++
  const load = targets.map((t) => t.state.activeRequests)
  assert.deepEqual(load, [300, 100, 100])
})

test('skips unavailable targets even when they are idle', () => {
  const targets = fakeTargets(1, 1, 1)
  active(targets, 0, 9, 5)
  disable(targets[0])
  const b = leastConnections(targets)
  assert.equal(nameOf(b.pick(ctx())), 'c')
  assert.deepEqual(Object.keys(countPicks(() => b.pick(ctx()), 50)), ['c'])
})

test('undefined when no target is available', () => {
  const targets = fakeTargets(1, 1)
  disable(...targets)
  assert.equal(leastConnections(targets).pick(ctx()), undefined)
})
