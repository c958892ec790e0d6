// The cache in Redis: shared by every replica, and never in the way when Redis goes
// down (the request is served uncached, the failure counted).
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { request } from 'undici'
import { startBackend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'
import { OPEN_AFTER } from '../src/redis/breaker.js'
import { startPrivateRedis } from './helpers/redis-server.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

function configFor (backendUrl: string, redisUrl: string, prefix: string): string {
  return `${BASE}
redis: { url: "${redisUrl}", keyPrefix: "${prefix}", timeout: 5s }  # about shared state, not a slow Redis: a busy machine must not make it fall back
upstreams:
  app: { targets: [{ url: ${backendUrl} }] }
routes:
  - name: shared
    match: { path: /s }
    upstream: app
    cache: { ttl: 60s }
`
}

async function get (gw: TestGateway, path: string) {
  // Replicas behind one load balancer see the same Host (the host is part of the key).
  const res = await request(gw.url + path, { headers: { host: 'api.example' } })
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() }
}

async function linkReady (gw: TestGateway): Promise<void> {
  const link = gw.gateway.edge.redis
  assert.ok(link !== null)
  // Not events.once: connection errors before 'ready' are expected while Redis starts.
  if (!link.ready) await new Promise((resolve) => link.client.once('ready', resolve))
}

async function redisErrors (gw: TestGateway): Promise<number> {
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text()
  return Number(/^turnpike_redis_errors_total (\d+)/m.exec(text)?.[1] ?? 0)
}

test('one gateway\'s miss fills the cache another gateway hits, through Redis', async (t) => {
  const backend = await startBackend()
  const prefix = `t-cache-${randomBytes(6).toString('hex')}:`
  const a = await startGateway(configFor(backend.url, REDIS_URL, prefix))
  const b = await startGateway(configFor(backend.url, REDIS_URL, prefix))
  const redis = new Redis(REDIS_URL)
  t.after(async () => {
    await a.close()
    await b.close()
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
    await backend.close()
  })
  await linkReady(a)
  await linkReady(b)

  const miss = await get(a, '/s/item?q=1')
  assert.equal(miss.status, 200)
  assert.equal(miss.headers['x-cache'], 'MISS')
  // A's write is in the background: wait until Redis holds it (bounded).
  for (let i = 0; i < 200 && (await redis.keys(`${prefix}cache:*`)).length === 0; i++) await new Promise((resolve) => setImmediate(resolve))
  const keys = await redis.keys(`${prefix}cache:*`)
  assert.equal(keys.length, 1)
  const ttl = await redis.pttl(keys[0] as string)
  assert.ok(ttl > 0 && ttl <= 60_000, `PX TTL ${ttl}`)

  const hit = await get(b, '/s/item?q=1')
  assert.equal(hit.headers['x-cache'], 'HIT')
  assert.equal(hit.text, miss.text)
  assert.equal(backend.seen.length, 1, 'the upstream saw one request for the two')
})

test('Redis stopped mid-test: requests are still answered by the upstream, uncached, and the failures counted', async (t) => {
  const server = await startPrivateRedis()
  const backend = await startBackend()
  const redisUrl = server.url
  const gw = await startGateway(configFor(backend.url, redisUrl, `t-cache-${randomBytes(6).toString('hex')}:`))
  t.after(async () => {
    await gw.close()
    await server.kill()
    await backend.close()
  })
  await linkReady(gw)
  const link = gw.gateway.edge.redis
  assert.ok(link !== null)

  await get(gw, '/s/down')
  // The write goes out in the background: ask until the entry is served from Redis (bounded).
  let warm = await get(gw, '/s/down')
  for (let i = 0; i < 50 && warm.headers['x-cache'] !== 'HIT'; i++) warm = await get(gw, '/s/down')
  assert.equal(warm.headers['x-cache'], 'HIT')
  const before = backend.seen.length
  const errorsBefore = await redisErrors(gw)

  const closed = once(link.client, 'close')
  await server.kill()
  await closed

  for (let i = 0; i < 5; i++) {
    const res = await get(gw, '/s/down')
    assert.equal(res.status, 200)
    assert.equal(res.headers['x-cache'], 'BYPASS')
  }
  assert.equal(backend.seen.length, before + 5, 'every request went to the upstream')
  // A few failures open the link's breaker; after that Redis is not called at all.
  assert.ok(await redisErrors(gw) >= errorsBefore + OPEN_AFTER)
  assert.equal(link.stats.state, 'open')
})
