// onNoHealthyTarget: any — the wrapper only steps in when the balancer finds nothing.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Balancer } from '../src/upstream/balancer.js'
import { failOpen } from '../src/upstream/health/fail-open.js'
import type { Target, TargetState } from '../src/upstream/target.js'

const target = (n: number, available: boolean): Target => ({
  url: `http://t${n}`,
  origin: `http://t${n}`,
  host: `t${n}`,
  weight: 1,
  state: { upstream: 'u', origin: `http://t${n}`, pool: undefined as unknown as TargetState['pool'], connect: {}, activeRequests: 0, available, breaker: undefined, gate: undefined }
})
const firstAvailable = (targets: readonly Target[]): Balancer => ({ pick: () => targets.find((t) => t.state.available) })
const ctx = { clientIp: '127.0.0.1', hashKey: undefined }

test('the balancer\'s pick stands while any target is available', () => {
  const targets = [target(1, false), target(2, true)]
  const balancer = failOpen(firstAvailable(targets), targets)
  assert.deepEqual([1, 2, 3].map(() => balancer.pick(ctx)?.url), ['http://t2', 'http://t2', 'http://t2'])
})

test('with none available, every target is tried in turn', () => {
  const targets = [target(1, false), target(2, false), target(3, false)]
  const balancer = failOpen(firstAvailable(targets), targets)
  const picked = Array.from({ length: 6 }, () => balancer.pick(ctx)?.url)
  assert.deepEqual(new Set(picked), new Set(['http://t1', 'http://t2', 'http://t3']))
  assert.equal(picked[0] === picked[1], false)
})

test('latency feedback still reaches the wrapped balancer', () => {
  const targets = [target(1, true)]
  const seen: number[] = []
  const inner: Balancer = { pick: () => targets[0], observe: (_t, ms) => { seen.push(ms) } }
  failOpen(inner, targets).observe?.(targets[0]!, 12, true)
  assert.deepEqual(seen, [12])
})
