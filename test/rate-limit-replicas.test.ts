// Two gateway processes sharing one Redis enforce one limit exactly: the Lua script
// counts atomically, so 30 requests spread over both replicas admit exactly `max`.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { request } from 'undici'
import { startBackend } from './helpers/backend.js'
import { startChildGateway, type ChildGateway } from './helpers/child.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

test('max 10 shared by two replicas through Redis: exactly 10 of 30 requests pass', async (t) => {
  const prefix = `t-${randomUUID()}:`
  const backend = await startBackend()
  const yaml = `server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0, token: test-token }
logging: { level: info, accessLog: false }
redis: { url: "${REDIS_URL}", keyPrefix: "${prefix}", timeout: 5s }  # about shared state, not a slow Redis: a busy machine must not make it fall back
upstreams: { app: { targets: [{ url: "${backend.url}" }] } }
routes:
  - { name: shared, match: { path: / }, upstream: app, rateLimit: { max: 10, window: 1h } }
`
  const replicas: ChildGateway[] = []
  const redis = new Redis(REDIS_URL)
  t.after(async () => {
    for (const r of replicas) await r.close()
    await backend.close()
    const keys = await redis.keys(prefix + '*')
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
  })
  replicas.push(await startChildGateway(yaml), await startChildGateway(yaml))
  // Before this, a replica would count in-process (its fallback) and admit more.
  for (const r of replicas) await r.waitForLog((l) => l.msg === 'redis connected')

  const answers = await Promise.all(Array.from({ length: 30 }, async (_, i) => {
    const replica = replicas[i % 2] as ChildGateway
    const response = await request(`${replica.url}/`)
    await response.body.dump()
    return { replica: i % 2, status: response.statusCode }
  }))
  const passed = answers.filter((a) => a.status === 200)
  assert.equal(passed.length, 10, 'exactly max passed')
  assert.equal(answers.filter((a) => a.status === 429).length, 20, 'every other request was refused')
  assert.equal(backend.seen.length, 10)
  assert.deepEqual(await redis.keys(prefix + '*'), [`${prefix}rate:fixed-window:shared:{ip:127.0.0.1}`])
  assert.equal(await redis.hget(`${prefix}rate:fixed-window:shared:{ip:127.0.0.1}`, 'count'), '10')
})
