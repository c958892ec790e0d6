// Admin GET /stats against a real gateway and real backends: totals, rates, per-route
// numbers, the 5xx share and percentiles after traffic; targets' health following the
// active checks; reloads after POST /reload; WebSocket and policy counters.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import WebSocket, { WebSocketServer } from 'ws'
import type { GatewayStats } from '../src/stats/types.js'
import { VERSION } from '../src/version.js'
import { startBackend } from './helpers/backend.js'
import { BASE, startGateway } from './helpers/gateway.js'
import { healthChange, targetHealth } from './helpers/health.js'

async function stats (adminUrl: string): Promise<GatewayStats> {
  const response = await fetch(`${adminUrl}/stats`)
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/)
  return await response.json() as GatewayStats
}

async function hit (url: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await (await fetch(url)).arrayBuffer()
}

/** Polls /stats until `until` holds: for counters the data plane updates on its own events. */
async function statsUntil (adminUrl: string, until: (s: GatewayStats) => boolean, what: string): Promise<GatewayStats> {
  for (let i = 0; i < 100; i++) {
    const s = await stats(adminUrl)
    if (until(s)) return s
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`/stats never showed ${what}`)
}

test('after traffic: totals, rate, status classes, per-route numbers, 5xx share and percentiles', async (t) => {
  const ok = await startBackend()
  const failing = await startBackend((_req, res) => { res.writeHead(500, { 'content-length': 4 }).end('boom') })
  const gw = await startGateway(`${BASE}upstreams:
  ok: { targets: [{ url: "${ok.url}" }] }
  failing: { balancer: least-connections, targets: [{ url: "${failing.url}" }] }
routes:
  - { name: fine, match: { path: /ok }, upstream: ok }
  - { name: broken, match: { path: /fail }, upstream: failing }
  - { name: idle, match: { path: /idle }, upstream: ok }
`)
  t.after(async () => { await gw.close(); await ok.close(); await failing.close() })

  const before = await stats(gw.adminUrl)
  assert.equal(before.requests.total, 0)
  assert.equal(before.requests.p50, null)
  await hit(`${gw.url}/ok/x`, 30)
  await hit(`${gw.url}/fail`, 10)
  await hit(`${gw.url}/nowhere`, 2) // 404, no route: counted overall, not per route

  const s = await stats(gw.adminUrl)
  assert.equal(s.version, VERSION)
  assert.equal(s.generation, 1)
  assert.equal(s.ready, true)
  assert.equal(s.windowSeconds, 60)
  assert.ok(Number.isFinite(Date.parse(s.startedAt)))
  assert.ok(s.uptimeSeconds >= 0)
  assert.equal(s.redis, null, 'no redis.url: no Redis link')

  assert.equal(s.requests.total, 42)
  assert.deepEqual(s.requests.byClass, { '2xx': 30, '3xx': 0, '4xx': 2, '5xx': 10 })
  assert.ok(s.requests.rate > 0)
  assert.ok(Math.abs(s.requests.errorRate - 10 / 42) < 0.001, `errorRate ${s.requests.errorRate}`)
  const { p50, p90, p99 } = s.requests
  assert.ok(p50 !== null && p90 !== null && p99 !== null)
  assert.ok(p50 > 0 && p50 <= p90 && p90 <= p99)

  assert.deepEqual(s.routes.map((r) => r.name), ['fine', 'broken', 'idle'])
  const [fine, broken, idle] = s.routes
  assert.equal(fine?.requests, 30)
  assert.equal(fine?.errorRate, 0)
  assert.ok(fine !== undefined && fine.rate > 0 && fine.p50 !== null && fine.p99 !== null)
  assert.equal(broken?.requests, 10)
  assert.equal(broken?.errorRate, 1)
  assert.deepEqual(idle, { name: 'idle', requests: 0, rate: 0, errorRate: 0, p50: null, p90: null, p99: null })

  assert.deepEqual(s.upstreams, {
    ok: { balancer: 'round-robin', targets: [{ url: ok.url, weight: 1, healthy: true, ejected: false, breaker: 'closed', activeRequests: 0 }] },
    failing: { balancer: 'least-connections', targets: [{ url: failing.url, weight: 1, healthy: true, ejected: false, breaker: 'closed', activeRequests: 0 }] }
  })
  assert.deepEqual(s.reloads, [])
  assert.ok(s.connections.active >= 0)
})

test('a target failing its health checks reads unhealthy, its sibling healthy', async (t) => {
  let sick = false
  const a = await startBackend((req, res) => { res.writeHead(req.url === '/health' && sick ? 500 : 200).end('a') })
  const b = await startBackend((_req, res) => { res.writeHead(200).end('b') })
  const gw = await startGateway(`${BASE}upstreams:
  app:
    targets: [{ url: "${a.url}" }, { url: "${b.url}" }]
    healthCheck: { interval: 100ms, timeout: 500ms, unhealthyThreshold: 1, healthyThreshold: 1 }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  t.after(async () => { await gw.close(); await a.close(); await b.close() })

  sick = true
  await healthChange(targetHealth(gw.gateway, 'app', 0), (h) => !h.healthy, 5000)
  const targets = (await stats(gw.adminUrl)).upstreams.app?.targets
  assert.deepEqual(targets?.map((x) => [x.url, x.healthy]), [[a.url, false], [b.url, true]])
})

test('reloads: newest first, a rejected config with its error, the generation moves on', async (t) => {
  const backend = await startBackend()
  const yaml = `${BASE}upstreams:
  app: { targets: [{ url: "${backend.url}" }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`
  const gw = await startGateway(yaml)
  t.after(async () => { await gw.close(); await backend.close() })
  const reload = async (): Promise<number> => {
    const response = await fetch(`${gw.adminUrl}/reload`, { method: 'POST', headers: { authorization: 'Bearer test-token' } })
    await response.arrayBuffer()
    return response.status
  }

  assert.equal(await reload(), 200)
  await writeFile(gw.file, yaml.replace('upstream: app', 'upstream: missing'))
  assert.equal(await reload(), 422)

  const s = await stats(gw.adminUrl)
  assert.equal(s.generation, 2)
  assert.equal(s.reloads.length, 2)
  const [failed, succeeded] = s.reloads
  assert.equal(failed?.result, 'failure')
  assert.equal(failed?.generation, 2)
  assert.match(failed?.error ?? '', /missing/)
  assert.deepEqual(succeeded, { result: 'success', at: succeeded?.at, generation: 2 })
  assert.ok(Date.parse(failed?.at ?? '') >= Date.parse(succeeded?.at ?? ''))
})

test('open WebSocket tunnels and connections; rate-limited, blocked and cache counters', async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await once(wss, 'listening')
  const backend = await startBackend((_req, res) => { res.writeHead(200, { 'cache-control': 'max-age=60', 'content-length': 2 }).end('ok') })
  const gw = await startGateway(`${BASE}upstreams:
  app: { targets: [{ url: "${backend.url}" }] }
  ws: { targets: [{ url: "http://127.0.0.1:${(wss.address() as AddressInfo).port}" }] }
routes:
  - { name: ws, match: { path: /ws }, upstream: ws, websocket: true }
  - { name: limited, match: { path: /limited }, upstream: app, rateLimit: { max: 1, window: 1h } }
  - { name: cached, match: { path: /cached }, upstream: app, cache: { ttl: 60s } }
`)
  const denying = await startGateway(`${BASE}security:
  ipFilter: { deny: ["127.0.0.1"] }
upstreams:
  app: { targets: [{ url: "${backend.url}" }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  const client = new WebSocket(`ws://127.0.0.1:${gw.port}/ws`)
  t.after(async () => {
    client.terminate()
    await gw.close()
    await denying.close()
    await backend.close()
    await new Promise((resolve) => wss.close(resolve))
  })
  await once(client, 'open')
  const open = await statsUntil(gw.adminUrl, (s) => s.connections.websockets === 1, 'one open WebSocket')
  assert.ok(open.connections.active >= 1)

  await hit(`${gw.url}/limited`, 3)
  await hit(`${gw.url}/cached`, 2)
  await hit(`${denying.url}/`, 1)
  const s = await stats(gw.adminUrl)
  // The policy counters are each gateway's own: the refusal was the other one's.
  assert.equal(s.policies.rateLimited, 2)
  assert.equal(s.policies.blocked, 0)
  assert.equal((await stats(denying.adminUrl)).policies.blocked, 1)
  assert.deepEqual(s.policies.cache, { hit: 1, miss: 1, bypass: 0 })
  assert.equal(s.routes.find((r) => r.name === 'limited')?.errorRate, 0)

  client.close()
  await once(client, 'close')
  const closed = await statsUntil(gw.adminUrl, (x) => x.connections.websockets === 0, 'the WebSocket closed')
  assert.equal(closed.routes.find((r) => r.name === 'ws')?.requests, 1)
})
