// DDoS blocking through Redis: replicas sharing Redis share the counts and the blocks
// (one Lua script per check); exempt addresses are never counted; with Redis down the
// gateway keeps blocking from in-process state and counts the Redis errors.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'
import { freePort } from './helpers/free-port.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

function yaml (backend: Backend, redisUrl: string, prefix: string): string {
  return `${BASE.replace('port: 0 }', 'port: 0, trustProxy: true }')}
redis: { url: "${redisUrl}", keyPrefix: "${prefix}", timeout: 5s }  # about shared state, not a slow Redis: a busy machine must not make it fall back
security:
  ddos: { threshold: 3, window: 1m, blockFor: 2m }
  ipFilter: { exempt: ["192.0.2.1"] }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`
}

async function from (gw: TestGateway, ip: string): Promise<{ status: number, retryAfter: unknown }> {
  const res = await request(`${gw.url}/x`, { headers: { 'x-forwarded-for': ip } })
  await res.body.dump()
  return { status: res.statusCode, retryAfter: res.headers['retry-after'] }
}

async function connected (gw: TestGateway): Promise<void> {
  const link = gw.gateway.edge.redis
  if (link === null) throw new Error('no redis link')
  if (!link.ready) await once(link.client, 'ready', { signal: AbortSignal.timeout(10_000) })
}

test('two replicas share one count and one block through Redis', async (t) => {
  const backend = await startBackend()
  const prefix = `t-${randomUUID()}:`
  const a = await startGateway(yaml(backend, REDIS_URL, prefix))
  const b = await startGateway(yaml(backend, REDIS_URL, prefix))
  const redis = new Redis(REDIS_URL)
  t.after(async () => { await a.close(); await b.close(); await backend.close(); redis.disconnect() })
  await connected(a)
  await connected(b)

  assert.equal((await from(a, '198.51.100.1')).status, 200)
  assert.equal((await from(b, '198.51.100.1')).status, 200)
  assert.equal((await from(a, '198.51.100.1')).status, 200)
  const refused = await from(b, '198.51.100.1') // the 4th request, counted across both
  assert.equal(refused.status, 429)
  const seconds = Number(refused.retryAfter)
  assert.ok(seconds > 60 && seconds <= 120, `Retry-After ${String(refused.retryAfter)}`)
  assert.equal((await from(a, '198.51.100.1')).status, 429, 'the block reaches the other replica')
  assert.equal((await from(a, '198.51.100.2')).status, 200)

  const left = await redis.pttl(`${prefix}ddos:{198.51.100.1}:block`)
  assert.ok(left > 60_000 && left <= 120_000, `block key PTTL ${left}`)
})

test('an exempt address is never counted or blocked, in Redis either', async (t) => {
  const backend = await startBackend()
  const prefix = `t-${randomUUID()}:`
  const gw = await startGateway(yaml(backend, REDIS_URL, prefix))
  const redis = new Redis(REDIS_URL)
  t.after(async () => { await gw.close(); await backend.close(); redis.disconnect() })
  await connected(gw)
  for (let i = 0; i < 10; i++) assert.equal((await from(gw, '192.0.2.1')).status, 200)
  assert.equal(await redis.exists(`${prefix}ddos:{192.0.2.1}:count`), 0)
  assert.equal((await from(gw, '198.51.100.4')).status, 200)
  assert.equal(await redis.exists(`${prefix}ddos:{198.51.100.4}:count`), 1, 'a non-exempt address is counted')
})

test('Redis down: blocking goes on from in-process state and the errors are counted', async (t) => {
  const backend = await startBackend()
  const gw = await startGateway(yaml(backend, `redis://127.0.0.1:${await freePort()}`, `t-${randomUUID()}:`))
  t.after(async () => { await gw.close(); await backend.close() })
  for (let i = 0; i < 3; i++) assert.equal((await from(gw, '198.51.100.9')).status, 200)
  const refused = await from(gw, '198.51.100.9')
  assert.equal(refused.status, 429)
  assert.ok(Number(refused.retryAfter) > 0)
  const metrics = await (await request(`${gw.adminUrl}/metrics`)).body.text()
  assert.match(metrics, /turnpike_redis_errors_total [1-9]/)
})
