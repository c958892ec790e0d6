// Redis is a helper, never a dependency: when the Redis the gateway counts in dies, the
// gateway keeps answering 200 or 429 (never a 5xx) from its in-process counters and
// counts the failures in turnpike_redis_errors_total; its breaker opens (turnpike_redis_up 0).
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { request } from 'undici'
import { startBackend } from './helpers/backend.js'
import { BASE, startGateway } from './helpers/gateway.js'
import { OPEN_AFTER } from '../src/redis/breaker.js'
import { startPrivateRedis } from './helpers/redis-server.js'

async function status (url: string): Promise<number> {
  const response = await request(url)
  await response.body.dump()
  return response.statusCode
}

test('Redis killed mid-test: limits fall back to in-process, answers stay 200/429, failures are counted', async (t) => {
  const redisServer = await startPrivateRedis()
  const backend = await startBackend()
  const url = redisServer.url
  const gw = await startGateway(`${BASE}redis: { url: "${url}", keyPrefix: "down:" }
upstreams: { app: { targets: [{ url: "${backend.url}" }] } }
routes:
  - { name: limited, match: { path: / }, upstream: app, rateLimit: { max: 3, window: 1h } }
`)
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  t.after(async () => {
    probe.disconnect()
    await gw.close()
    await backend.close()
    await redisServer.kill()
  })
  const link = gw.gateway.edge.redis
  assert.ok(link !== null)
  if (!link.ready) await once(link.client, 'ready')

  const before = []
  for (let i = 0; i < 4; i++) before.push(await status(gw.url))
  assert.deepEqual(before, [200, 200, 200, 429])
  await probe.connect()
  assert.equal(await probe.hget('down:rate:fixed-window:limited:{ip:127.0.0.1}', 'count'), '3', 'counted in Redis')
  probe.disconnect()

  await redisServer.kill()
  const after = []
  for (let i = 0; i < 6; i++) after.push(await status(gw.url))
  // The in-process counter never saw the first three: a fresh limit of 3, still enforced.
  assert.deepEqual(after, [200, 200, 200, 429, 429, 429])

  const metrics = await (await request(`${gw.adminUrl}/metrics`)).body.text()
  const errors = Number(/^turnpike_redis_errors_total (\d+)/m.exec(metrics)?.[1])
  // A few failed checks open the link's breaker; after that Redis is not called at all.
  assert.ok(errors >= OPEN_AFTER, `turnpike_redis_errors_total ${errors}: the failures that opened the breaker`)
  assert.match(metrics, /^turnpike_redis_up 0$/m)
  assert.match(metrics, /turnpike_rate_limited_total\{route="limited"\} 4\n/)
})
