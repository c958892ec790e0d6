// Circuit breakers (opossum, one per target) driven by real traffic: 5xx and no answer
// are failures, 4xx never; open takes the target out of rotation; with none left the
// gateway answers 503 + Retry-After at once, sending nothing upstream; half-open lets
// one probe through, which closes or reopens the breaker.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { test } from 'node:test'
import { request } from 'undici'
import { startBackend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'
import { healthChange, targetHealth } from './helpers/health.js'

async function get (gw: TestGateway): Promise<{ status: number, retryAfter: string | undefined, code?: string }> {
  const response = await request(`${gw.url}/x`)
  const text = await response.body.text()
  const code = response.statusCode >= 500 && text.startsWith('{') ? (JSON.parse(text) as { code?: string }).code : undefined
  return { status: response.statusCode, retryAfter: response.headers['retry-after'] as string | undefined, code }
}

async function metrics (gw: TestGateway): Promise<string> {
  return await (await request(`${gw.adminUrl}/metrics`)).body.text()
}

async function breakers (gw: TestGateway): Promise<string[]> {
  const body = await (await request(`${gw.adminUrl}/backends`)).body.json() as { upstreams: { app: { targets: Array<{ breaker: string }> } } }
  return body.upstreams.app.targets.map((t) => t.breaker)
}

const yaml = (url: string, resetTimeout: string, route = 'app'): string => `${BASE}upstreams:
  app:
    targets: [{ url: "${url}" }]
    circuitBreaker: { errorThresholdPercentage: 50, volumeThreshold: 4, resetTimeout: ${resetTimeout} }
routes:
  - { name: ${route}, match: { path: / }, upstream: app }
`

test('trips at volumeThreshold failures, answers 503 + Retry-After without contacting the target, probes and recovers', async (t) => {
  let status = 500
  const backend = await startBackend((_req, res) => { res.writeHead(status).end('from backend') })
  const gw = await startGateway(yaml(backend.url, '1500ms'))
  t.after(async () => { await gw.close(); await backend.close() })
  const health = targetHealth(gw.gateway, 'app', 0)

  const first = []
  for (let i = 0; i < 4; i++) first.push((await get(gw)).status)
  assert.deepEqual(first, [500, 500, 500, 500], 'a 5xx still reaches the client as sent')
  assert.equal(health.breakerOpen, true, 'open after the 4th failure (volumeThreshold)')
  assert.equal(health.snapshot().available, false)
  assert.deepEqual(await breakers(gw), ['open'])
  const m = await metrics(gw)
  assert.match(m, new RegExp(`turnpike_circuit_breaker_state\\{upstream="app",target="${backend.url}"\\} 2`))
  assert.match(m, new RegExp(`turnpike_circuit_breaker_trips_total\\{upstream="app",target="${backend.url}"\\} 1`))

  const seen = backend.seen.length
  const started = performance.now()
  for (let i = 0; i < 5; i++) {
    const r = await get(gw)
    assert.equal(r.status, 503)
    assert.equal(r.code, 'TURNPIKE_CIRCUIT_OPEN')
    assert.ok(r.retryAfter === '1' || r.retryAfter === '2', `Retry-After ${r.retryAfter}: seconds until half-open`)
  }
  assert.ok(performance.now() - started < 500, 'fast failures')
  assert.equal(backend.seen.length, seen, 'nothing reached the target while open')

  await healthChange(health, (s) => !s.breakerOpen, 3000)
  assert.deepEqual(await breakers(gw), ['half-open'])
  assert.match(await metrics(gw), new RegExp(`turnpike_circuit_breaker_state\\{upstream="app",target="${backend.url}"\\} 1`))
  status = 200
  assert.equal((await get(gw)).status, 200, 'the probe')
  assert.deepEqual(await breakers(gw), ['closed'])
  assert.equal(health.snapshot().available, true)
  assert.match(await metrics(gw), new RegExp(`turnpike_circuit_breaker_state\\{upstream="app",target="${backend.url}"\\} 0`))
  for (let i = 0; i < 3; i++) assert.equal((await get(gw)).status, 200)
})

test('a failed half-open probe reopens the breaker (one more trip)', async (t) => {
  const backend = await startBackend((_req, res) => { res.writeHead(502).end() })
  const gw = await startGateway(yaml(backend.url, '200ms'))
  t.after(async () => { await gw.close(); await backend.close() })
  const health = targetHealth(gw.gateway, 'app', 0)
  for (let i = 0; i < 4; i++) await get(gw)
  assert.equal(health.breakerOpen, true)
  await healthChange(health, (s) => !s.breakerOpen, 2000)
  const seen = backend.seen.length
  assert.equal((await get(gw)).status, 502, 'the probe reached the target')
  assert.equal(backend.seen.length, seen + 1)
  assert.equal(health.breakerOpen, true, 'reopened')
  assert.deepEqual(await breakers(gw), ['open'])
  assert.equal((await get(gw)).status, 503)
  assert.match(await metrics(gw), new RegExp(`turnpike_circuit_breaker_trips_total\\{upstream="app",target="${backend.url}"\\} 2`))
})

test('connection failures count; 4xx never trips a breaker', async (t) => {
  const backend = await startBackend((_req, res) => { res.writeHead(404).end() })
  const gw = await startGateway(yaml(backend.url, '10s'))
  t.after(async () => { await gw.close(); await backend.close() })
  const health = targetHealth(gw.gateway, 'app', 0)
  for (let i = 0; i < 20; i++) assert.equal((await get(gw)).status, 404)
  assert.equal(health.breakerOpen, false)
  assert.deepEqual(await breakers(gw), ['closed'])

  await backend.close() // refused from now on
  // The 404s count as successes in the rolling window: it opens once failures pass 50%.
  let failures = 0
  for (; failures < 40 && !health.breakerOpen; failures++) assert.equal((await get(gw)).status, 502)
  assert.equal(failures, 21, 'the 21st failure of 41 attempts passes 50%')
  assert.equal(health.breakerOpen, true, 'refused connections open it')
  assert.equal((await get(gw)).status, 503)
})

test('an open target is out of rotation: the others take the traffic, no 5xx reaches clients', async (t) => {
  const bad = await startBackend((_req, res) => { res.writeHead(503).end() })
  const good = await startBackend((_req, res) => { res.writeHead(200).end() })
  const gw = await startGateway(`${BASE}upstreams:
  app:
    targets: [{ url: "${bad.url}" }, { url: "${good.url}" }]
    circuitBreaker: { errorThresholdPercentage: 50, volumeThreshold: 2, resetTimeout: 10s }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  t.after(async () => { await gw.close(); await bad.close(); await good.close() })
  const health = targetHealth(gw.gateway, 'app', 0)
  for (let i = 0; i < 6 && !health.breakerOpen; i++) await get(gw)
  assert.equal(health.breakerOpen, true)
  const seen = bad.seen.length
  for (let i = 0; i < 10; i++) assert.equal((await get(gw)).status, 200)
  assert.equal(bad.seen.length, seen)
  assert.deepEqual(await breakers(gw), ['open', 'closed'])
})

test('breaker state survives a reload that keeps the upstream; a changed circuitBreaker starts closed', async (t) => {
  const backend = await startBackend((_req, res) => { res.writeHead(500).end() })
  const gw = await startGateway(yaml(backend.url, '30s'))
  t.after(async () => { await gw.close(); await backend.close() })
  const health = targetHealth(gw.gateway, 'app', 0)
  for (let i = 0; i < 4; i++) await get(gw)
  assert.equal(health.breakerOpen, true)

  await writeFile(gw.file, yaml(backend.url, '30s', 'renamed'))
  const result = await gw.gateway.reload('test', true) as { result?: string }
  assert.equal(result.result, 'success', JSON.stringify(result))
  assert.equal(gw.gateway.generation.config.routes[0]?.name, 'renamed')
  assert.equal(targetHealth(gw.gateway, 'app', 0).breakerOpen, true, 'still open')
  const seen = backend.seen.length
  assert.equal((await get(gw)).status, 503)
  assert.equal(backend.seen.length, seen)
  assert.deepEqual(await breakers(gw), ['open'])

  await writeFile(gw.file, yaml(backend.url, '31s', 'renamed'))
  await gw.gateway.reload('test', true)
  assert.equal(targetHealth(gw.gateway, 'app', 0).breakerOpen, false, 'a new breaker')
  assert.deepEqual(await breakers(gw), ['closed'])
})

test('breaker timers do not hold the process and shutdown is prompt', async () => {
  const backend = await startBackend((_req, res) => { res.writeHead(500).end() })
  const gw = await startGateway(yaml(backend.url, '1h'))
  for (let i = 0; i < 4; i++) await get(gw)
  assert.equal(targetHealth(gw.gateway, 'app', 0).breakerOpen, true)
  const started = performance.now()
  await gw.close()
  await backend.close()
  assert.ok(performance.now() - started < 2000)
  assert.doesNotMatch(JSON.stringify((await gw.gateway.metrics.circuitBreakerState.get()).values), new RegExp(backend.url))
})

test('half-open admits one probe: concurrent requests meanwhile get 503, not the target', async (t) => {
  let status = 500
  const backend = await startBackend((_req, res) => { setTimeout(() => res.writeHead(status).end(), status === 500 ? 0 : 150) })
  const gw = await startGateway(yaml(backend.url, '200ms'))
  t.after(async () => { await gw.close(); await backend.close() })
  const health = targetHealth(gw.gateway, 'app', 0)
  for (let i = 0; i < 4; i++) await get(gw)
  await healthChange(health, (s) => !s.breakerOpen, 2000)
  status = 200
  const seen = backend.seen.length
  const results = await Promise.all([get(gw), get(gw), get(gw)])
  assert.deepEqual(results.map((r) => r.status).sort(), [200, 503, 503])
  assert.equal(backend.seen.length, seen + 1, 'one probe')
  assert.deepEqual(await breakers(gw), ['closed'])
})

test('a body over the limit (the client\'s fault) never counts against the target', async (t) => {
  const backend = await startBackend((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200).end() }) })
  const gw = await startGateway(yaml(backend.url, '10s').replace('server: { host: 127.0.0.1, port: 0 }', 'server: { host: 127.0.0.1, port: 0, bodyLimit: 1kb }'))
  t.after(async () => { await gw.close(); await backend.close() })
  const health = targetHealth(gw.gateway, 'app', 0)
  const { Readable } = await import('node:stream')
  for (let i = 0; i < 8; i++) {
    const response = await request(`${gw.url}/x`, { method: 'POST', body: Readable.from([Buffer.alloc(800), Buffer.alloc(800)]) })
    await response.body.dump()
    assert.equal(response.statusCode, 413)
  }
  assert.equal(health.breakerOpen, false)
  assert.deepEqual(await breakers(gw), ['closed'])
})
