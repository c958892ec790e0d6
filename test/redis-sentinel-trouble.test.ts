// A Sentinel failover (the master killed, the replica promoted) must not stall the
// gateway: every request answered quickly while the master is gone, and once the
// Sentinel names the new master two gateways share one limit through it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBackend } from './helpers/backend.js'
import { startGateway, type TestGateway } from './helpers/gateway.js'
import { startPrivateSentinel } from './helpers/redis-sentinel.js'
import { prefixFor, sharesOneLimit, timedGet, troubleConfig, TIMEOUT_MS } from './helpers/redis-trouble.js'

async function connected (gw: TestGateway): Promise<void> {
  const link = gw.gateway.edge.redis
  assert.ok(link !== null)
  if (!link.ready) await new Promise((resolve) => link.client.once('ready', resolve))
}

test('Sentinel failover (master killed): answers go on; after it, one shared limit through the new master', async (t) => {
  const sentinel = await startPrivateSentinel()
  const backend = await startBackend()
  const prefix = prefixFor('sentinel')
  const a = await startGateway(troubleConfig(backend.url, sentinel.url, prefix))
  const b = await startGateway(troubleConfig(backend.url, sentinel.url, prefix))
  t.after(async () => {
    await a.close()
    await b.close()
    await sentinel.close()
    await backend.close()
  })
  await connected(a)
  await connected(b)
  assert.ok(await sharesOneLimit(a, b), 'healthy: one limit for both gateways')

  await sentinel.master.kill()
  const failedOver = sentinel.failedOver()
  let done = false
  void failedOver.then(() => { done = true }, () => { done = true })
  const answers: Array<{ status: number, ms: number }> = []
  // Requests all through the failover (bounded in count; the failover takes a few seconds).
  while (!done && answers.length < 5000) {
    answers.push(await timedGet(a, answers.length % 2 === 0 ? '/limited' : '/cached', { 'x-client': `f-${answers.length}` }))
  }
  await failedOver
  assert.ok(answers.length > 0)
  assert.deepEqual(answers.filter((r) => r.status !== 200), [], 'every request answered 200')
  const slowest = Math.max(...answers.map((r) => r.ms))
  assert.ok(slowest < 1000, `slowest of ${answers.length} requests took ${slowest.toFixed(0)} ms (redis.timeout ${TIMEOUT_MS} ms)`)

  assert.ok(await sharesOneLimit(a, b, 30_000), 'failed over: one limit for both gateways through the new master')
  const link = a.gateway.edge.redis
  assert.equal(link?.stats.state, 'closed')
})
