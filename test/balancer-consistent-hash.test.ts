// consistent-hash and ip-hash: a ring with virtual nodes. Same key → same target; one
// target added or removed of N moves about 1/N of the keys and only those.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { consistentHash } from '../src/upstream/balancers/consistent-hash.js'
import { ipHash } from '../src/upstream/balancers/ip-hash.js'
import type { Balancer } from '../src/upstream/balancer.js'
import type { Target } from '../src/upstream/target.js'
import { countPicks, ctx, disable, enable, fakeTarget, fakeTargets, nameOf, options } from './helpers/fake-targets.js'

const KEYS = Array.from({ length: 10_000 }, (_, i) => `user-${i}`)

function assignment (b: Balancer): string[] {
  return KEYS.map((k) => nameOf(b.pick(ctx(k))))
}

function moved (before: string[], after: string[]): number {
  return before.filter((t, i) => t !== after[i]).length / before.length
}

test('the same key always reaches the same target, whatever order the targets are listed in', () => {
  const targets = fakeTargets(1, 1, 1, 1)
  const first = assignment(consistentHash(targets))
  assert.deepEqual(assignment(consistentHash(targets)), first)
  assert.deepEqual(assignment(consistentHash([...targets].reverse())), first)
  const b = consistentHash(targets)
  for (let i = 0; i < 5; i++) assert.equal(nameOf(b.pick(ctx('user-7'))), first[7])
})

test('keys spread in proportion to weight (1,1,1,1 → 25 % each; 3,1 → 75/25 %) within ±5 points', () => {
  // 160 virtual nodes per weight unit keep each share within a few points of its target.
  const even = countPicks((() => { let i = 0; const b = consistentHash(fakeTargets(1, 1, 1, 1)); return () => b.pick(ctx(KEYS[i++])) })(), KEYS.length)
  for (const name of ['a', 'b', 'c', 'd']) assert.ok(Math.abs((even[name] ?? 0) / KEYS.length - 0.25) <= 0.05, JSON.stringify(even))
  const weighted = countPicks((() => { let i = 0; const b = consistentHash(fakeTargets(3, 1)); return () => b.pick(ctx(KEYS[i++])) })(), KEYS.length)
  assert.ok(Math.abs((weighted.a ?? 0) / KEYS.length - 0.75) <= 0.05, JSON.stringify(weighted))
})

test('adding a 6th target moves about 1/6 of the keys, all of them to the new target', () => {
  const five = fakeTargets(1, 1, 1, 1, 1)
  const before = assignment(consistentHash(five))
  const after = assignment(consistentHash([...five, fakeTarget('f')]))
  const fraction = moved(before, after)
  assert.ok(Math.abs(fraction - 1 / 6) <= 0.05, `moved ${fraction}`)
  before.forEach((t, i) => { if (t !== after[i]) assert.equal(after[i], 'f') })
})

test('removing one target of 5 moves about 1/5 of the keys: only the removed target\'s', () => {
  const five = fakeTargets(1, 1, 1, 1, 1)
  const before = assignment(consistentHash(five))
  const after = assignment(consistentHash(five.filter((t) => nameOf(t) !== 'c')))
  const fraction = moved(before, after)
  assert.ok(Math.abs(fraction - 1 / 5) <= 0.05, `moved ${fraction}`)
  before.forEach((t, i) => { if (t !== 'c') assert.equal(after[i], t) })
  // The removed target's keys spread over all the others, not onto one neighbour.
  const heirs = new Set(after.filter((_, i) => before[i] === 'c'))
  assert.deepEqual([...heirs].sort(), ['a', 'b', 'd', 'e'])
})

test('an unavailable target\'s keys walk on to the next available target and come back after', () => {
  const targets = fakeTargets(1, 1, 1)
  const b = consistentHash(targets)
  const before = assignment(b)
  disable(targets[0])
  const during = assignment(b)
  assert.ok(!during.includes('a'))
  before.forEach((t, i) => { if (t !== 'a') assert.equal(during[i], t) })
  enable(targets[0])
  assert.deepEqual(assignment(b), before)
})

test('without a hash key the client IP is the key', () => {
  const b = consistentHash(fakeTargets(1, 1, 1))
  assert.equal(b.pick(ctx(undefined, '198.51.100.7')), b.pick(ctx('198.51.100.7', '203.0.113.1')))
})

test('ip-hash is the same ring, keyed on the client IP by default', () => {
  const targets = fakeTargets(1, 1, 1)
  const ip = ipHash(targets, options())
  const ch = consistentHash(targets)
  for (let i = 0; i < 200; i++) {
    const clientIp = `10.0.${i >> 8}.${i & 255}`
    assert.equal(ip.pick(ctx(undefined, clientIp)), ch.pick(ctx(undefined, clientIp)))
  }
})

test('large weights are scaled to a bounded ring and keep their proportions', () => {
  const targets = fakeTargets(1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000)
  const b = consistentHash(targets)
  const counts = countPicks((() => { let i = 0; return () => b.pick(ctx(KEYS[i++])) })(), KEYS.length)
  for (const t of targets) assert.ok(Math.abs((counts[nameOf(t)] ?? 0) / KEYS.length - 0.1) <= 0.03, JSON.stringify(counts))
})

test('undefined when no target is available', () => {
  const targets: Target[] = fakeTargets(1, 1)
  disable(...targets)
  assert.equal(consistentHash(targets).pick(ctx('k')), undefined)
  assert.equal(ipHash(targets, options()).pick(ctx()), undefined)
})
