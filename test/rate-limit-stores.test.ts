// The three algorithms at their boundaries, with an injected clock: just before, at and
// after a window edge, the weighted previous window, one token's refill, the bucket
// cap. One table of expectations runs against the in-process store and against the
// Redis store (its Lua scripts take the same clock as an argument), so the two agree.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { randomUUID } from 'node:crypto'
import { test, type TestContext } from 'node:test'
import pino from 'pino'
import { RedisLink } from '../src/redis/link.js'
import { LocalStore, MAX_KEYS, type RateStore } from '../src/rate-limit/local-store.js'
import { RedisStore } from '../src/rate-limit/redis-store.js'
import { limitOf, type Algorithm, type RateRule } from '../src/rate-limit/rule.js'
import { GatewayMetrics } from '../src/metrics.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** At time `at`: admitted with `remaining` left, or refused; `ttl` is Reset / Retry-After in ms. */
type Step = { at: number, remaining: number, ttl: number } | { at: number, refused: true, ttl: number }

interface Case { rule: RateRule, steps: Step[] }

const T = 1_000_000 // a multiple of every window below, so sliding windows start at T

function rule (algorithm: Algorithm, max: number, window: number, burst = max): RateRule {
  return { route: 'r', algorithm, max, window, burst, keyBy: 'ip' }
}

const CASES: Record<Algorithm, Case> = {
  'fixed-window': {
    rule: rule('fixed-window', 3, 10_000),
    steps: [
      { at: T, remaining: 2, ttl: 10_000 },
      { at: T + 1, remaining: 1, ttl: 9_999 },
      { at: T + 2, remaining: 0, ttl: 9_998 },
      { at: T + 3, refused: true, ttl: 9_997 },
      { at: T + 9_999, refused: true, ttl: 1 }, // just before the edge
      { at: T + 10_000, remaining: 2, ttl: 10_000 }, // at the edge: a new window
      { at: T + 10_001, remaining: 1, ttl: 9_999 },
      { at: T + 10_002, remaining: 0, ttl: 9_998 },
      { at: T + 10_003, refused: true, ttl: 9_997 }
    ]
  },
  // max 4 per 10 s: used = previous × (10 000 − elapsed) / 10 000 + current
  'sliding-window': {
    rule: rule('sliding-window', 4, 10_000),
    steps: [
      { at: T, remaining: 3, ttl: 10_000 },
      { at: T, remaining: 2, ttl: 10_000 },
      { at: T, remaining: 1, ttl: 10_000 },
      { at: T + 4_000, remaining: 0, ttl: 6_000 },
      // full: the next window starts with 4 × 1.0, which falls to 3 at 2 500 ms into it
      { at: T + 5_000, refused: true, ttl: 7_500 },
      { at: T + 9_999, refused: true, ttl: 2_501 }, // just before the edge
      { at: T + 10_000, refused: true, ttl: 2_500 }, // at the edge the previous window still weighs fully
      { at: T + 12_499, refused: true, ttl: 1 },
      // refusals took nothing: 4 × 0.75 + 0 + 1 = 4
      { at: T + 12_500, remaining: 0, ttl: 7_500 },
      { at: T + 12_501, refused: true, ttl: 2_499 }, // 4 × 0.7499 + 1 + 1 > 4 until the weight is 0.5
      { at: T + 15_000, remaining: 0, ttl: 5_000 },
      { at: T + 20_000, remaining: 1, ttl: 10_000 }, // previous window 2 × 1.0, plus this one
      { at: T + 40_000, remaining: 3, ttl: 10_000 } // two windows on: nothing weighs
    ]
  },
  // 2 tokens per 10 s (one per 5 s), bucket of 3
  'token-bucket': {
    rule: rule('token-bucket', 2, 10_000, 3),
    steps: [
      { at: T, remaining: 2, ttl: 5_000 }, // Reset: until the bucket is full again
      { at: T, remaining: 1, ttl: 10_000 },
      { at: T, remaining: 0, ttl: 15_000 },
      { at: T, refused: true, ttl: 5_000 }, // Retry-After: until one token
      { at: T + 4_999, refused: true, ttl: 1 },
      { at: T + 5_000, remaining: 0, ttl: 15_000 }, // exactly one token refilled
      { at: T + 5_001, refused: true, ttl: 4_999 },
      { at: T + 100_000, remaining: 2, ttl: 5_000 }, // a long pause fills the bucket, no further
      { at: T + 100_000, remaining: 1, ttl: 10_000 },
      { at: T + 100_000, remaining: 0, ttl: 15_000 },
      { at: T + 100_000, refused: true, ttl: 5_000 }
    ]
  }
}

interface Clock { now: number }

async function play (store: RateStore, clock: Clock, { rule, steps }: Case, key: string): Promise<void> {
  const limit = limitOf(rule)
  for (const [i, step] of steps.entries()) {
    clock.now = step.at
    const { current, ttl } = await store.check(key)
    const got = current > limit ? { at: step.at, refused: true, ttl } : { at: step.at, remaining: limit - current, ttl }
    assert.deepEqual(got, step, `${rule.algorithm} step ${i} at T+${step.at - T}`)
  }
}

async function redisLink (t: TestContext): Promise<RedisLink> {
  const link = new RedisLink(REDIS_URL, `t-${randomUUID()}:`, pino({ level: 'silent' }), new GatewayMetrics())
  // These tests are about the Lua arithmetic: a busy machine must not make a check fall back.
  link.timeout = 5000
  t.after(async () => {
    const keys = await link.client.keys(link.keyPrefix + '*')
    if (keys.length > 0) await link.client.del(...keys)
    await link.close()
  })
  if (!link.ready) await once(link.client, 'ready')
  return link
}

for (const [algorithm, c] of Object.entries(CASES)) {
  test(`${algorithm}, in-process store: boundaries with an injected clock`, async () => {
    const clock = { now: 0 }
    await play(new LocalStore(c.rule, () => clock.now), clock, c, 'ip:192.0.2.1')
  })

  test(`${algorithm}, Redis store: the same boundaries, counted in Redis`, async (t) => {
    const link = await redisLink(t)
    const clock = { now: 0 }
    const fallback = new LocalStore(c.rule, () => clock.now)
    await play(new RedisStore(link, c.rule, fallback, () => clock.now), clock, c, 'ip:192.0.2.1')
    assert.equal(fallback.size, 0, 'Redis answered every check')
    const keys = await link.client.keys(link.keyPrefix + '*')
    assert.deepEqual(keys, [`${link.keyPrefix}rate:${algorithm}:r:{ip:192.0.2.1}`], 'one key, the variable part hash-tagged')
    const ttl = await link.client.pttl(keys[0] as string)
    assert.ok(ttl > 0, 'the key expires')
  })
}

test('each key has its own counter', async () => {
  const clock = { now: T }
  const store = new LocalStore(rule('fixed-window', 1, 1000), () => clock.now)
  assert.equal(store.check('ip:a').current, 1)
  assert.equal(store.check('ip:b').current, 1)
  assert.equal(store.check('ip:a').current, 2, 'a is over, b was not counted against it')
})

test('a spray of 150 000 distinct keys keeps the in-process store at its cap', () => {
  const clock = { now: T }
  const store = new LocalStore(rule('sliding-window', 5, 60_000), () => clock.now)
  for (let i = 0; i < 150_000; i++) {
    store.check(`ip:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
    if (store.size > MAX_KEYS) assert.fail(`size ${store.size} over the cap after ${i + 1} keys`)
  }
  assert.equal(store.size, MAX_KEYS)
  assert.equal(store.check('ip:10.2.73.239').current, 2, 'the latest key (149 999) is still counted')
  assert.equal(store.check('ip:10.0.0.0').current, 1, 'the oldest was evicted: it starts again')
})
