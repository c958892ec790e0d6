// The Redis link on its own, against a private redis-server that is stalled (SIGSTOP):
// one request's calls share one redis.timeout (a second call after the first used it up
// is answered by its fallback at once, without Redis), the breaker opens after
// OPEN_AFTER failures and then answers without Redis, and closes on the first answer
// once Redis resumes; each transition is logged once.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import { OPEN_AFTER } from '../src/redis/breaker.js'
import { RedisLink, type RedisBudget } from '../src/redis/link.js'
import { startPrivateRedis } from './helpers/redis-server.js'
import { capturingLogger, type LogLine } from './helpers/redis-trouble.js'
import { GatewayMetrics } from '../src/metrics.js'

test('one budget for all of a request\'s calls; the breaker answers without Redis while open and closes when Redis answers', async (t) => {
  const redis = await startPrivateRedis()
  const logs: LogLine[] = []
  const link = new RedisLink(redis.url, 'link-test:', capturingLogger(logs), new GatewayMetrics())
  // Generous while Redis is healthy (a busy machine must not make those calls fall back), short for the stall.
  link.timeout = 5000
  t.after(async () => {
    redis.resume()
    await link.close()
    await redis.kill()
  })
  // Not events.once: a connection error before 'ready' would reject it.
  if (!link.ready) await new Promise((resolve) => link.client.once('ready', resolve))
  const get = async (): Promise<string> => await link.client.get('link-test:k') ?? 'nil'
  assert.equal(await link.run('test', get, () => 'fallback'), 'nil', 'healthy: Redis answers')

  link.timeout = 100
  redis.stall()
  const budget: RedisBudget = { redisWaited: 0 }
  const first = link.run('test', get, () => 'fallback', budget)
  assert.ok(first instanceof Promise)
  assert.equal(await first, 'fallback', 'no answer within redis.timeout: the fallback')
  assert.ok(budget.redisWaited >= 99, `the wait is charged to the request (${budget.redisWaited} ms)`)
  assert.equal(link.run('test', get, () => 'fallback', budget), 'fallback', 'the same request\'s next call does not wait again')

  for (let i = 1; i < OPEN_AFTER; i++) assert.equal(await link.run('test', get, () => 'fallback'), 'fallback')
  assert.equal(link.stats.state, 'open')
  assert.equal(logs.filter((l) => l.msg.startsWith('redis breaker open')).length, 1)
  const sentBefore = link.inFlight
  for (let i = 0; i < 1000; i++) assert.equal(link.run('test', get, () => 'fallback'), 'fallback', 'open: answered at once, without Redis')
  assert.equal(link.inFlight, sentBefore, 'nothing was sent while open')

  const up = once(link, 'up', { signal: AbortSignal.timeout(15_000) })
  redis.resume()
  await up
  link.timeout = 5000
  assert.equal(link.stats.state, 'closed')
  assert.equal(logs.filter((l) => l.msg.startsWith('redis breaker closed')).length, 1)
  assert.equal(await link.run('test', get, () => 'fallback'), 'nil', 'closed: Redis answers again')
})
