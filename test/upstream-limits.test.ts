// Per-target limits with a backend that holds requests: past maxConnections requests
// queue (up to maxPending, for up to pendingTimeout), past that the client gets 503
// TURNPIKE_UPSTREAM_OVERLOADED with Retry-After and the target never sees the request;
// the balancer sends to a target with room before one without.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

/** A backend that answers /hold only when told to, and everything else at once. */
async function holdingBackend (name: string): Promise<Backend & { held: Array<() => void>, arrived: () => Promise<void> }> {
  const held: Array<() => void> = []
  let waiters: Array<() => void> = []
  const backend = await startBackend((req, res) => {
    const answer = (): void => { res.writeHead(200, { 'x-backend': name }).end(name) }
    if (req.url === '/hold') {
      held.push(answer)
      for (const wake of waiters.splice(0)) wake()
    } else {
      answer()
    }
  })
  waiters = []
  return Object.assign(backend, {
    held,
    async arrived (): Promise<void> { await new Promise<void>((resolve) => waiters.push(resolve)) }
  })
}

async function metric (gw: TestGateway, series: string): Promise<number | undefined> {
  const text = await (await request(`${gw.adminUrl}/metrics`)).body.text()
  const line = text.split('\n').find((l) => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.split(' ').pop())
}

test('past maxConnections a request waits; past maxPending it is refused at once with 503 and Retry-After', async (t) => {
  const backend = await holdingBackend('a')
  const gw = await startGateway(`${BASE}upstreams:
  app:
    targets: [{ url: "${backend.url}" }]
    limits: { maxConnections: 2, maxPending: 1, pendingTimeout: 10s }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  t.after(async () => { await gw.close(); await backend.close() })

  const first = [request(`${gw.url}/hold`), request(`${gw.url}/hold`)]
  while (backend.held.length < 2) await backend.arrived()
  const queued = request(`${gw.url}/hold`)
  while (await metric(gw, 'turnpike_upstream_pending_requests{upstream="app"}') !== 1) await new Promise((resolve) => setImmediate(resolve))

  const refused = await request(`${gw.url}/hold`)
  assert.equal(refused.statusCode, 503)
  assert.equal(refused.headers['retry-after'], '10')
  const body = await refused.body.json() as { code: string }
  assert.equal(body.code, 'TURNPIKE_UPSTREAM_OVERLOADED')
  assert.equal(backend.seen.length, 2, 'the refused and the queued request never reached the target')
  assert.equal(await metric(gw, 'turnpike_upstream_overloaded_total{upstream="app"}'), 1)

  // One answer frees a connection: the queued request goes next.
  backend.held[0]!()
  while (backend.held.length < 3) await backend.arrived()
  assert.equal(await metric(gw, 'turnpike_upstream_pending_requests{upstream="app"}'), 0)
  backend.held[1]!()
  backend.held[2]!()
  for (const response of await Promise.all([...first, queued])) {
    assert.equal(response.statusCode, 200)
    await response.body.dump()
  }
})

test('a queued request that waits past pendingTimeout gets 503 without reaching the target', async (t) => {
  const backend = await holdingBackend('a')
  const gw = await startGateway(`${BASE}upstreams:
  app:
    targets: [{ url: "${backend.url}" }]
    limits: { maxConnections: 1, maxPending: 5, pendingTimeout: 200ms }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  t.after(async () => { await gw.close(); await backend.close() })
  const held = request(`${gw.url}/hold`)
  await backend.arrived()
  const late = await request(`${gw.url}/other`)
  assert.equal(late.statusCode, 503)
  assert.equal(late.headers['retry-after'], '1')
  assert.equal((await late.body.json() as { code: string }).code, 'TURNPIKE_UPSTREAM_OVERLOADED')
  assert.equal(backend.seen.length, 1)
  backend.held[0]!()
  assert.equal((await held).statusCode, 200)
  // With the connection free again requests go straight through.
  const next = await request(`${gw.url}/other`)
  assert.equal(next.statusCode, 200)
  await next.body.dump()
})

test('the balancer prefers a target with free capacity over its own next pick', async (t) => {
  const a = await holdingBackend('a')
  const b = await holdingBackend('b')
  const gw = await startGateway(`${BASE}upstreams:
  app:
    targets: [{ url: "${a.url}" }, { url: "${b.url}" }]
    balancer: round-robin
    limits: { maxConnections: 1, maxPending: 0 }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  t.after(async () => { await gw.close(); await a.close(); await b.close() })
  // Round-robin starts at a: the held request fills a's only connection.
  const held = request(`${gw.url}/hold`)
  await a.arrived()
  const seen: string[] = []
  for (let i = 0; i < 6; i++) {
    const response = await request(`${gw.url}/x`)
    assert.equal(response.statusCode, 200)
    seen.push(await response.body.text())
  }
  assert.deepEqual(seen, ['b', 'b', 'b', 'b', 'b', 'b'])
  a.held[0]!()
  assert.equal((await held).statusCode, 200)
})
