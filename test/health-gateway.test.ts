// Active health checks in a running gateway: a target killed mid-traffic leaves the
// rotation and comes back, /backends and the gauge follow, state survives a reload of
// an unchanged upstream, and the checker timers never hold the process open.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { request } from 'undici'
import { startBackend } from './helpers/backend.js'
import { BASE, startGateway } from './helpers/gateway.js'
import { healthChange, targetHealth } from './helpers/health.js'

const CHECK = 'healthCheck: { interval: 50ms, timeout: 200ms, healthyThreshold: 2, unhealthyThreshold: 3 }'

/** A backend on a fixed port that can be killed and brought back. */
async function named (name: string, port = 0): Promise<Server> {
  const server = createServer((req, res) => { res.writeHead(200, { 'x-backend': name }).end(req.url === '/health' ? 'ok' : name) })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return server
}
const portOf = (server: Server): number => (server.address() as AddressInfo).port
const kill = async (server: Server): Promise<void> => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
}

async function get (url: string): Promise<{ status: number, backend: string | undefined }> {
  const response = await request(url)
  await response.body.dump()
  const backend = response.headers['x-backend']
  return { status: response.statusCode, backend: typeof backend === 'string' ? backend : undefined }
}

async function metric (adminUrl: string, upstream: string, origin: string): Promise<string | undefined> {
  const response = await request(`${adminUrl}/metrics`)
  const text = await response.body.text()
  const line = text.split('\n').find((l) => l.startsWith(`turnpike_upstream_target_healthy{upstream="${upstream}",target="${origin}"}`))
  return line?.split(' ').pop()
}

test('a target killed mid-traffic is out within interval × unhealthyThreshold, no 5xx once out, and back after recovery', async (t) => {
  const a = await named('a')
  let b = await named('b')
  const portB = portOf(b)
  const originB = `http://127.0.0.1:${portB}`
  const gw = await startGateway(`${BASE}upstreams:
  app:
    targets: [{ url: "http://127.0.0.1:${portOf(a)}" }, { url: "${originB}" }]
    ${CHECK}
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  t.after(async () => { await gw.close(); await kill(a); if (b.listening) await kill(b) })
  const health = targetHealth(gw.gateway, 'app', 1)

  const before = await Promise.all(Array.from({ length: 10 }, async () => await get(`${gw.url}/x`)))
  assert.deepEqual(new Set(before.map((r) => r.backend)), new Set(['a', 'b']))
  assert.equal(await metric(gw.adminUrl, 'app', originB), '1')

  // Traffic runs all along: four clients in a loop, each result stamped with its start.
  const results: Array<{ at: number, status: number, backend: string | undefined }> = []
  let running = true
  const clients = Array.from({ length: 4 }, async () => {
    while (running) {
      const at = performance.now()
      results.push({ at, ...await get(`${gw.url}/x`) })
    }
  })
  t.after(async () => { running = false; await Promise.all(clients) })

  await kill(b)
  const killedAt = performance.now()
  // 50ms × 3 plus one timeout of slack, and the scheduler on a loaded CI box.
  const outAfter = await healthChange(health, (s) => !s.healthy, 50 * 3 + 200 + 1000)
  const outAt = killedAt + outAfter
  assert.ok(outAfter < 1400, `out after ${outAfter}ms`)
  assert.equal(await metric(gw.adminUrl, 'app', originB), '0')
  const backends = await (await request(`${gw.adminUrl}/backends`)).body.json() as { upstreams: { app: { targets: Array<{ healthy: boolean, ejected: boolean }> } } }
  assert.deepEqual(backends.upstreams.app.targets.map((x) => [x.healthy, x.ejected]), [[true, false], [false, false]])

  b = await named('b', portB)
  const backAt = outAt + await healthChange(health, (s) => s.healthy, 2000)
  assert.equal(await metric(gw.adminUrl, 'app', originB), '1')
  // Traffic goes on until the recovered target has served again (bounded).
  const servedByB = (): boolean => results.some((r) => r.at > backAt && r.backend === 'b')
  const deadline = performance.now() + 2000
  while (!servedByB() && performance.now() < deadline) results.push({ at: performance.now(), ...await get(`${gw.url}/x`) })
  running = false
  await Promise.all(clients)

  assert.ok(servedByB(), 'the recovered target is back in rotation')
  const whileOut = results.filter((r) => r.at > outAt && r.at < backAt)
  assert.ok(whileOut.length > 0, 'traffic ran while the target was out')
  assert.ok(whileOut.every((r) => r.backend === 'a'), 'only the live target served while the other was out')
  assert.deepEqual(results.filter((r) => r.at > outAt && r.status >= 500), [], 'no 5xx once the dead target is out')
})

test('onNoHealthyTarget: fail answers 503 with Retry-After when every target is out', async (t) => {
  const backend = await startBackend((_req, res) => { res.writeHead(500).end() })
  const gw = await startGateway(`${BASE}upstreams:
  app:
    targets: [{ url: "${backend.url}" }]
    ${CHECK.replace('unhealthyThreshold: 3', 'unhealthyThreshold: 1')}
    onNoHealthyTarget: fail
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  t.after(async () => { await gw.close(); await backend.close() })
  await healthChange(targetHealth(gw.gateway, 'app', 0), (s) => !s.healthy, 2000)
  const response = await request(`${gw.url}/x`)
  const body = await response.body.json() as { code?: string }
  assert.equal(response.statusCode, 503)
  assert.ok(response.headers['retry-after'] !== undefined)
  assert.equal(body.code, 'TURNPIKE_NO_HEALTHY_TARGET')
  assert.deepEqual(backend.seen.filter((r) => r.url !== '/health'), [], 'nothing but checks reached the target')
})

test('onNoHealthyTarget: any still tries the targets when every one is out', async (t) => {
  const backend = await startBackend((req, res) => { res.writeHead(req.url === '/health' ? 500 : 200).end('served') })
  const gw = await startGateway(`${BASE}upstreams:
  app:
    targets: [{ url: "${backend.url}" }]
    ${CHECK.replace('unhealthyThreshold: 3', 'unhealthyThreshold: 1')}
    onNoHealthyTarget: any
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  t.after(async () => { await gw.close(); await backend.close() })
  await healthChange(targetHealth(gw.gateway, 'app', 0), (s) => !s.healthy, 2000)
  const response = await request(`${gw.url}/x`)
  assert.equal(response.statusCode, 200)
  assert.equal(await response.body.text(), 'served')
})

test('an unchanged upstream keeps its health state (and its checker) across a reload', async (t) => {
  const sick = await startBackend((_req, res) => { res.writeHead(500).end() })
  const other = await startBackend()
  const yaml = (route: string): string => `${BASE}upstreams:
  app:
    targets: [{ url: "${sick.url}" }]
    ${CHECK.replace('interval: 50ms', 'interval: 10s').replace('unhealthyThreshold: 3', 'unhealthyThreshold: 1')}
  other: { targets: [{ url: "${other.url}" }] }
routes:
  - { name: ${route}, match: { path: / }, upstream: app }
`
  const gw = await startGateway(yaml('one'))
  t.after(async () => { await gw.close(); await sick.close(); await other.close() })
  const health = targetHealth(gw.gateway, 'app', 0)
  await healthChange(health, (s) => !s.healthy, 2000)
  const checks = sick.seen.length

  await writeFile(gw.file, yaml('two'))
  const result = await gw.gateway.reload('test', true) as { result?: string }
  assert.notEqual(result.result, 'failed', JSON.stringify(result))
  assert.equal(gw.gateway.generation.config.routes[0]?.name, 'two')
  assert.equal(targetHealth(gw.gateway, 'app', 0), health, 'the same health object')
  assert.equal(health.healthy, false, 'still unhealthy: a fresh state would have said healthy')
  assert.equal(gw.gateway.generation.built.upstreams.get('app')?.targets[0]?.state.available, false)
  // With a 10s interval, a restarted checker would have probed again at once.
  assert.equal(sick.seen.length, checks, 'the checker was not restarted')
  const response = await request(`${gw.url}/x`)
  await response.body.dump()
  assert.equal(response.statusCode, 503)
})

test('checker timers do not hold the process open and shutdown is prompt', async () => {
  const backend = await startBackend()
  const gw = await startGateway(`${BASE}upstreams:
  app:
    targets: [{ url: "${backend.url}" }]
    healthCheck: { interval: 1h, timeout: 1s }
    outlierDetection: { errorRate: 0.5, minRequests: 1, window: 1h, ejectFor: 1h }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  // The first check may already have arrived while the gateway started.
  if (backend.seen.length === 0) await once(backend.server, 'request')
  const started = performance.now()
  await gw.close()
  assert.ok(performance.now() - started < 2000, 'shutdown did not wait on a checker')
  const seen = backend.seen.length
  await backend.close()
  assert.equal(seen, 1, 'exactly the first check')
})
