// Rate limits through a real gateway and backend: the RateLimit-* headers, the 429 with
// Retry-After and the JSON error, the metric, keyBy, `rateLimit: false`, counters per
// route, and in-process counters kept across a reload for an unchanged limit.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

interface Answer {
  status: number
  limit?: string
  remaining?: string
  reset?: string
  retryAfter?: string
  code?: string
}

async function get (gw: TestGateway, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await request(`${gw.url}${path}`, { headers })
  const text = await response.body.text()
  const h = response.headers
  const answer: Answer = { status: response.statusCode }
  if (h['ratelimit-limit'] !== undefined) answer.limit = String(h['ratelimit-limit'])
  if (h['ratelimit-remaining'] !== undefined) answer.remaining = String(h['ratelimit-remaining'])
  if (h['ratelimit-reset'] !== undefined) answer.reset = String(h['ratelimit-reset'])
  if (h['retry-after'] !== undefined) answer.retryAfter = String(h['retry-after'])
  if (response.statusCode === 429) answer.code = (JSON.parse(text) as { code: string }).code
  return answer
}

async function statuses (gw: TestGateway, path: string, n: number, headers: Record<string, string> = {}): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push((await get(gw, path, headers)).status)
  return out
}

async function metrics (gw: TestGateway): Promise<string> {
  return await (await request(`${gw.adminUrl}/metrics`)).body.text()
}

async function setup (t: { after: (fn: () => Promise<void>) => void }, body: (backend: Backend) => string): Promise<{ gw: TestGateway, backend: Backend }> {
  const backend = await startBackend()
  const gw = await startGateway(body(backend))
  t.after(async () => { await gw.close(); await backend.close() })
  return { gw, backend }
}

test('a limited route: RateLimit-* headers 4…0 for max 5, then 429 + Retry-After + TURNPIKE_RATE_LIMITED, counted per route', async (t) => {
  const { gw, backend } = await setup(t, (b) => `${BASE}upstreams: { app: { targets: [{ url: "${b.url}" }] } }
routes:
  - { name: limited, match: { path: /limited }, upstream: app, rateLimit: { max: 5, window: 1m } }
  - { name: open, match: { path: /open }, upstream: app }
`)
  const answers = []
  for (let i = 0; i < 5; i++) answers.push(await get(gw, '/limited'))
  assert.deepEqual(answers.map((a) => [a.status, a.limit, a.remaining]), [
    [200, '5', '4'], [200, '5', '3'], [200, '5', '2'], [200, '5', '1'], [200, '5', '0']
  ])
  for (const a of answers) {
    assert.ok(Number(a.reset) >= 59 && Number(a.reset) <= 60, `RateLimit-Reset ${a.reset}: seconds left in the minute`)
    assert.equal(a.retryAfter, undefined)
  }
  for (let i = 0; i < 2; i++) {
    const refused = await get(gw, '/limited')
    assert.equal(refused.status, 429)
    assert.equal(refused.code, 'TURNPIKE_RATE_LIMITED')
    assert.equal(refused.limit, '5')
    assert.equal(refused.remaining, '0')
    assert.ok(Number(refused.retryAfter) >= 1 && Number(refused.retryAfter) <= 60, `Retry-After ${refused.retryAfter}`)
    assert.equal(refused.reset, refused.retryAfter)
  }
  assert.equal(backend.seen.length, 5, 'refused requests never reach the upstream')
  const open = await get(gw, '/open')
  assert.deepEqual(open, { status: 200 }, 'a route without a limit has no RateLimit headers')
  assert.match(await metrics(gw), /turnpike_rate_limited_total\{route="limited"\} 2\n/)
})

test('the 429 body is the gateway error shape', async (t) => {
  const { gw } = await setup(t, (b) => `${BASE}upstreams: { app: { targets: [{ url: "${b.url}" }] } }
routes:
  - { name: one, match: { path: / }, upstream: app, rateLimit: { max: 1, window: 1h } }
`)
  assert.equal((await get(gw, '/')).status, 200)
  const response = await request(`${gw.url}/`)
  assert.equal(response.statusCode, 429)
  assert.match(String(response.headers['content-type']), /^application\/json/)
  const body = await response.body.json() as Record<string, unknown>
  assert.equal(body.statusCode, 429)
  assert.equal(body.error, 'Too Many Requests')
  assert.equal(body.code, 'TURNPIKE_RATE_LIMITED')
  assert.equal(body.message, `Rate limit exceeded: retry in ${String(response.headers['retry-after'])} s`)
  assert.equal(body.requestId, response.headers['x-request-id'])
})

test('security.rateLimit is the default; rateLimit: false opts a route out; each route counts on its own', async (t) => {
  const { gw } = await setup(t, (b) => `${BASE}upstreams: { app: { targets: [{ url: "${b.url}" }] } }
security: { rateLimit: { max: 2, window: 1m } }
routes:
  - { name: a, match: { path: /a }, upstream: app }
  - { name: b, match: { path: /b }, upstream: app }
  - { name: free, match: { path: /free }, upstream: app, rateLimit: false }
  - { name: own, match: { path: /own }, upstream: app, rateLimit: { max: 3, window: 1m } }
`)
  assert.deepEqual(await statuses(gw, '/a', 3), [200, 200, 429])
  assert.deepEqual(await statuses(gw, '/b', 3), [200, 200, 429], 'b shares the default, not a\'s counter')
  assert.deepEqual(await statuses(gw, '/own', 4), [200, 200, 200, 429])
  const free = []
  for (let i = 0; i < 5; i++) free.push(await get(gw, '/free'))
  assert.deepEqual(free, Array(5).fill({ status: 200 }), 'no limit and no RateLimit headers')
})

test('keyBy header:NAME counts per header value; without the header a request counts by its IP', async (t) => {
  const { gw } = await setup(t, (b) => `${BASE}upstreams: { app: { targets: [{ url: "${b.url}" }] } }
routes:
  - { name: tenants, match: { path: / }, upstream: app, rateLimit: { max: 2, window: 1m, keyBy: "header:X-Tenant" } }
`)
  assert.deepEqual(await statuses(gw, '/', 3, { 'x-tenant': 'blue' }), [200, 200, 429])
  assert.deepEqual(await statuses(gw, '/', 3, { 'x-tenant': 'green' }), [200, 200, 429], 'another value, another counter')
  assert.deepEqual(await statuses(gw, '/', 3), [200, 200, 429], 'no header: by IP, its own counter')
  assert.deepEqual(await statuses(gw, '/', 1, { 'x-tenant': '127.0.0.1' }), [200], 'a header value is not an IP counter')
})

test('keyBy apiKey on a route without auth counts by the key sent, and Redis holds only its hash', async (t) => {
  const prefix = `t-${randomUUID()}:`
  const redis = new Redis(REDIS_URL)
  const { gw } = await setup(t, (b) => `${BASE}redis: { url: "${REDIS_URL}", keyPrefix: "${prefix}", timeout: 5s }  # about shared state, not a slow Redis: a busy machine must not make it fall back
upstreams: { app: { targets: [{ url: "${b.url}" }] } }
routes:
  - { name: keyed, match: { path: / }, upstream: app, rateLimit: { max: 1, window: 1m, keyBy: apiKey } }
`)
  t.after(async () => {
    const keys = await redis.keys(prefix + '*')
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
  })
  const link = gw.gateway.edge.redis
  assert.ok(link !== null)
  if (!link.ready) await new Promise((resolve) => link.client.once('ready', resolve))
  assert.deepEqual(await statuses(gw, '/', 2, { 'x-api-key': 'secret-one' }), [200, 429])
  assert.deepEqual(await statuses(gw, '/', 2, { 'x-api-key': 'secret-two' }), [200, 429])
  const keys = (await redis.keys(prefix + '*')).sort()
  assert.equal(keys.length, 2)
  for (const key of keys) {
    assert.match(key, new RegExp(`^${prefix}rate:fixed-window:keyed:\\{kh:[A-Za-z0-9_-]{43}\\}$`))
    assert.doesNotMatch(key, /secret/)
  }
})

test('token-bucket: RateLimit-Limit is the bucket size (burst)', async (t) => {
  const { gw } = await setup(t, (b) => `${BASE}upstreams: { app: { targets: [{ url: "${b.url}" }] } }
routes:
  - { name: bucket, match: { path: / }, upstream: app, rateLimit: { max: 1, window: 1h, algorithm: token-bucket, burst: 3 } }
`)
  const answers = []
  for (let i = 0; i < 4; i++) answers.push(await get(gw, '/'))
  assert.deepEqual(answers.map((a) => [a.status, a.limit, a.remaining]), [[200, '3', '2'], [200, '3', '1'], [200, '3', '0'], [429, '3', '0']])
  assert.equal(answers[3]?.retryAfter, '3600', 'one token per hour')
})

test('a reload keeps the counters of an unchanged limit and starts a changed one afresh', async (t) => {
  const yaml = (b: Backend, otherMax: number): string => `${BASE}upstreams: { app: { targets: [{ url: "${b.url}" }] } }
routes:
  - { name: same, match: { path: /same }, upstream: app, rateLimit: { max: 2, window: 1h } }
  - { name: other, match: { path: /other }, upstream: app, rateLimit: { max: ${otherMax}, window: 1h } }
`
  let backend: Backend | undefined
  const { gw } = await setup(t, (b) => { backend = b; return yaml(b, 2) })
  assert.deepEqual(await statuses(gw, '/same', 1), [200])
  assert.deepEqual(await statuses(gw, '/other', 3), [200, 200, 429])
  await writeFile(gw.file, yaml(backend as Backend, 3))
  assert.equal((await gw.gateway.reload('test')).result, 'success')
  assert.deepEqual(await statuses(gw, '/same', 2), [200, 429], 'one request left, as before the reload')
  assert.deepEqual(await statuses(gw, '/other', 4), [200, 200, 200, 429], 'a new limit, new counters')
})
