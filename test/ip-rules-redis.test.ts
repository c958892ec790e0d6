// Run-time IP rules shared through Redis: a change made through one replica's admin API
// reaches the others (pub/sub, plus a periodic re-read), a replica started later loads
// them, and while Redis is down a change still applies locally (persisted: false) and is
// written once Redis is back.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'
import { freePort } from './helpers/free-port.js'
import { startPrivateRedis } from './helpers/redis-server.js'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const TOKEN = { authorization: 'Bearer test-token' }

function yaml (backend: Backend, redisUrl: string, prefix: string): string {
  return `${BASE.replace('port: 0 }', 'port: 0, trustProxy: true }')}
redis: { url: "${redisUrl}", keyPrefix: "${prefix}", timeout: 5s }  # about shared state, not a slow Redis: a busy machine must not make it fall back
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`
}

async function admin (gw: TestGateway, method: string, path: string): Promise<Json> {
  const res = await request(gw.adminUrl + path, { method: method as 'GET', headers: TOKEN })
  return await res.body.json() as Json
}

async function statusFrom (gw: TestGateway, ip: string): Promise<number> {
  const res = await request(`${gw.url}/x`, { headers: { 'x-forwarded-for': ip } })
  await res.body.dump()
  return res.statusCode
}

/** Polls `check` until it holds; bounded, so a change that never arrives fails the test. */
async function eventually (what: string, check: () => Promise<boolean>, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return
    await delay(50)
  }
  assert.fail(`never happened: ${what}`)
}

const denies = (gw: TestGateway, cidr: string) => async () => ((await admin(gw, 'GET', '/ip-rules')).deny as string[]).includes(cidr)

test('a deny added through one replica takes effect on the other; a replica started later loads it', async (t) => {
  const backend = await startBackend()
  const prefix = `t-${randomUUID()}:`
  const a = await startGateway(yaml(backend, REDIS_URL, prefix))
  const b = await startGateway(yaml(backend, REDIS_URL, prefix))
  t.after(async () => { await a.close(); await b.close(); await backend.close() })
  await eventually('both replicas connected', async () =>
    (await admin(a, 'GET', '/ip-rules')).redis === 'connected' && (await admin(b, 'GET', '/ip-rules')).redis === 'connected')

  const put = await admin(a, 'PUT', '/ip-rules/deny/198.51.100.0%2F24')
  assert.equal(put.persisted, true)
  await eventually('replica b sees the deny', denies(b, '198.51.100.0/24'))
  assert.equal(await statusFrom(b, '198.51.100.20'), 403)

  const c = await startGateway(yaml(backend, REDIS_URL, prefix))
  t.after(async () => { await c.close() })
  await eventually('a new replica loads the deny', denies(c, '198.51.100.0/24'))
  assert.equal(await statusFrom(c, '198.51.100.20'), 403)

  await admin(b, 'DELETE', '/ip-rules/deny/198.51.100.0%2F24')
  await eventually('replica a sees the removal', async () => !await denies(a, '198.51.100.0/24')())
  assert.equal(await statusFrom(a, '198.51.100.20'), 200)
})

test('Redis down: a change applies locally, reports persisted: false, and is written once Redis is up', async (t) => {
  const backend = await startBackend()
  const port = await freePort()
  const prefix = `t-${randomUUID()}:`
  const gw = await startGateway(yaml(backend, `redis://127.0.0.1:${port}`, prefix))
  t.after(async () => { await gw.close(); await backend.close() })

  const put = await admin(gw, 'PUT', '/ip-rules/deny/203.0.113.0%2F24')
  assert.equal(put.persisted, false)
  assert.equal((await admin(gw, 'GET', '/ip-rules')).redis, 'down')
  assert.equal(await statusFrom(gw, '203.0.113.1'), 403)
  assert.equal(await statusFrom(gw, '192.0.2.1'), 200, 'requests are served while Redis is down')
  const metrics = await (await request(`${gw.adminUrl}/metrics`)).body.text()
  assert.match(metrics, /turnpike_redis_errors_total [1-9]/)

  const server = await startPrivateRedis(port)
  t.after(async () => { await server.kill() })
  const redis = new Redis(`redis://127.0.0.1:${port}`, { retryStrategy: (n) => Math.min(n * 50, 500) })
  redis.on('error', () => {}) // refused until redis-server is up
  t.after(() => { redis.disconnect() })
  await eventually('the pending change reached Redis', async () => {
    try {
      return await redis.hget(`${prefix}ip-rules`, 'deny 203.0.113.0/24') === 'added'
    } catch {
      return false
    }
  }, 400)
  assert.equal(await statusFrom(gw, '203.0.113.1'), 403, 'the re-read after reconnecting kept the change')
})

test('Redis stalled (SIGSTOP): a change applies at once, reports persisted: false, and is written once Redis resumes', async (t) => {
  const backend = await startBackend()
  const server = await startPrivateRedis()
  const prefix = `t-${randomUUID()}:`
  const gw = await startGateway(yaml(backend, server.url, prefix))
  t.after(async () => {
    server.resume()
    await gw.close()
    await backend.close()
    await server.kill()
  })
  const link = gw.gateway.edge.redis
  assert.ok(link !== null)
  if (!link.ready) await new Promise((resolve) => link.client.once('ready', resolve))

  server.stall()
  const put = await admin(gw, 'PUT', '/ip-rules/deny/198.51.100.0%2F24')
  assert.equal(put.persisted, false, 'the write waited a bounded time, then gave up')
  assert.equal(await statusFrom(gw, '198.51.100.7'), 403, 'applied here at once')
  assert.equal(await statusFrom(gw, '192.0.2.1'), 200)

  server.resume()
  const redis = new Redis(server.url)
  t.after(() => { redis.disconnect() })
  await eventually('the pending change reached Redis', async () => await redis.hget(`${prefix}ip-rules`, 'deny 198.51.100.0/24') === 'added', 400)
  assert.equal(await statusFrom(gw, '198.51.100.7'), 403)
})
