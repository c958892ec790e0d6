// Route retries against real backends: a dead target is invisible to clients, only
// idempotent (or keyed) requests are replayed, a retry goes to another target, nothing
// is retried once the answer has started or when the body was streamed, and the
// per-upstream budget bounds what a failing upstream sees.
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

const RETRY = 'retry: { attempts: 2, backoff: 1ms, maxBackoff: 5ms, on: [connect-failure, reset, 502, 503, 504] }'

async function gateway (upstream: string, backends: Backend[], retry = RETRY, extra = ''): Promise<TestGateway> {
  return await startGateway(`${BASE}upstreams:
  ${upstream}:${extra}
    targets: [${backends.map((b) => `{ url: "${b.url}" }`).join(', ')}]
routes:
  - { name: ${upstream}, match: { path: / }, upstream: ${upstream}, ${retry} }
`)
}

async function send (gw: TestGateway, options: Parameters<typeof request>[1] = {}): Promise<number> {
  const response = await request(`${gw.url}/x`, options)
  await response.body.dump()
  return response.statusCode
}

async function retriesMetric (gw: TestGateway, route: string): Promise<number> {
  const text = await (await request(`${gw.adminUrl}/metrics`)).body.text()
  const m = new RegExp(`turnpike_retries_total\\{route="${route}"\\} (\\d+)`).exec(text)
  return m === null ? 0 : Number(m[1])
}

for (const [guard, extra] of [
  ['a circuit breaker', '\n    circuitBreaker: { errorThresholdPercentage: 50, volumeThreshold: 5, resetTimeout: 30s }'],
  // A killed target refuses at once; the generous timeout keeps a slow but live target in rotation on a busy machine.
  ['active health checks', '\n    healthCheck: { path: /, interval: 50ms, timeout: 2s, unhealthyThreshold: 2 }']
] as const) {
  test(`a target killed mid-traffic: with retries, two targets and ${guard}, no client sees a 5xx`, async (t) => {
  // 20 ms per answer bounds how many requests can meet the dead target before it leaves
  // rotation (two failed checks, 50 ms apart: about 40 at 8 in flight), whatever the
  // machine's speed. With 2 ms a fast machine sent all 160 after the kill in that time,
  // half of them to the dead target, more retries than the budget holds.
  const a = await startBackend((_req, res) => { setTimeout(() => res.writeHead(200).end('a'), 20) })
  const b = await startBackend((_req, res) => { setTimeout(() => res.writeHead(200).end('b'), 20) })
  // Retries cover the requests in flight and those that meet the dead target until it
  // leaves rotation; the budget (20% plus 30 in reserve over 10 s) would not cover a
  // dead target in rotation forever.
  const gw = await gateway(`killed-${extra.length}`, [a, b], RETRY, extra)
  t.after(async () => { await gw.close(); await b.close() })
  // Counted, not timed, so a busy machine only makes it slower.
  const statuses: number[] = []
  let killed: Promise<void> | undefined
  const workers = Array.from({ length: 8 }, async () => {
    while (statuses.length < 200) {
      if (statuses.length >= 40) killed ??= a.close() // resets what is in flight, refuses the rest
      statuses.push(await send(gw))
    }
  })
  await Promise.all(workers)
  await killed
  assert.ok(a.seen.length > 10, `the killed target had taken traffic (${a.seen.length})`)
  assert.deepEqual(statuses.filter((s) => s >= 500), [], 'no 5xx reached a client')
  assert.ok(await retriesMetric(gw, `killed-${extra.length}`) > 0, 'retries were counted')
})
}

test('POST is not retried without an Idempotency-Key, and is (body replayed) with one', async (t) => {
  const backend = await startBackend((req, res, seen) => {
    req.on('data', (c: Buffer) => { seen.bodyBytes += c.length })
    req.on('end', () => { res.writeHead(503).end() })
  })
  const gw = await gateway('post', [backend])
  t.after(async () => { await gw.close(); await backend.close() })
  assert.equal(await send(gw, { method: 'POST', body: 'hello' }), 503)
  assert.equal(backend.seen.length, 1, 'sent once')
  assert.equal(await send(gw, { method: 'POST', body: 'hello', headers: { 'idempotency-key': 'k-1' } }), 503)
  assert.equal(backend.seen.length, 1 + 3, 'the first attempt and two retries')
  assert.deepEqual(backend.seen.slice(1).map((s) => s.bodyBytes), [5, 5, 5], 'the buffered body, each time')
  assert.equal(await send(gw, { method: 'PUT', body: 'x' }), 503)
  assert.equal(backend.seen.length, 4 + 3, 'PUT is idempotent')
  assert.equal(await retriesMetric(gw, 'post'), 4)
})

test('a retry goes to a different target', async (t) => {
  const bad = await startBackend((_req, res) => { res.writeHead(502).end() })
  const good = await startBackend((_req, res) => { res.writeHead(200).end() })
  const gw = await gateway('other', [bad, good])
  t.after(async () => { await gw.close(); await bad.close(); await good.close() })
  for (let i = 0; i < 10; i++) assert.equal(await send(gw), 200)
  assert.equal(good.seen.length, 10, 'every request ended at the good target')
  assert.ok(bad.seen.length >= 1 && bad.seen.length <= 10, `each try of the bad one was followed by the good one (${bad.seen.length})`)
  assert.equal(await retriesMetric(gw, 'other'), bad.seen.length, 'one retry per bad answer, never the bad target twice')
})

test('no retry once the answer has started: a cut mid-body stays a cut', async (t) => {
  const backend = await startBackend((_req, res) => {
    res.writeHead(200, { 'content-length': '100' })
    res.write('partial')
    setTimeout(() => res.socket?.destroy(), 20)
  })
  const gw = await gateway('cut', [backend])
  t.after(async () => { await gw.close(); await backend.close() })
  const response = await request(`${gw.url}/x`)
  assert.equal(response.statusCode, 200)
  await assert.rejects(response.body.text(), 'the client sees the cut')
  assert.equal(backend.seen.length, 1, 'never retried')
})

test('a streamed (chunked) or large body is never replayed', async (t) => {
  const backend = await startBackend((req, res) => { req.resume(); req.on('end', () => { res.writeHead(503).end() }) })
  const gw = await gateway('stream', [backend])
  t.after(async () => { await gw.close(); await backend.close() })
  const chunked = Readable.from([Buffer.from('a'), Buffer.from('b')])
  assert.equal(await send(gw, { method: 'PUT', body: chunked }), 503)
  assert.equal(backend.seen.length, 1, 'chunked: sent once')
  assert.equal(await send(gw, { method: 'PUT', body: Buffer.alloc(64 * 1024 + 1) }), 503)
  assert.equal(backend.seen.length, 2, 'over 64 KiB: sent once')
  assert.equal(await send(gw, { method: 'PUT', body: Buffer.alloc(64 * 1024) }), 503)
  assert.equal(backend.seen.length, 2 + 3, 'exactly 64 KiB: buffered and retried')
})

test('the retry budget bounds the load on an upstream failing half its requests', async (t) => {
  let n = 0
  const handler = (_req: unknown, res: import('node:http').ServerResponse): void => { res.writeHead(n++ % 2 === 0 ? 503 : 200).end() }
  const a = await startBackend(handler)
  const b = await startBackend(handler)
  const gw = await gateway('budget', [a, b], 'retry: { attempts: 3, backoff: 1ms, maxBackoff: 1ms, on: [503] }')
  t.after(async () => { await gw.close(); await a.close(); await b.close() })
  const requests = 400
  let left = requests
  await Promise.all(Array.from({ length: 10 }, async () => {
    while (left-- > 0) await send(gw)
  }))
  const total = a.seen.length + b.seen.length
  // Unbounded, attempts: 3 at 50% failures would be ~1.875× (750); the budget allows
  // 20% of requests plus its reserve (3/s over the 10 s window).
  assert.ok(total <= requests * 1.2 + 30 + 2, `${total} upstream requests for ${requests}`)
  assert.ok(total > requests, 'some retries happened')
  assert.equal(await retriesMetric(gw, 'budget'), total - requests)
})
