// Metrics belong to the gateway, not to the process: two gateways in one process (as a
// library user may run them) count their own requests, a closed gateway takes its series
// with it, and a new one starts from zero.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

let backend: Backend
const open: TestGateway[] = []

after(async () => {
  for (const gw of open) await gw.close()
  await backend?.close()
})

async function started (): Promise<TestGateway> {
  const gw = await startGateway(`${BASE}upstreams:
  app: { targets: [{ url: "${backend.url}" }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  open.push(gw)
  return gw
}

/** turnpike_requests_total{route="app",status="200"} as the gateway's admin GET /metrics shows it (0 when absent). */
async function served (gw: TestGateway): Promise<number> {
  const text = await fetch(`${gw.adminUrl}/metrics`).then(async (r) => await r.text())
  const line = text.split('\n').find((l) => l.startsWith('turnpike_requests_total{') && l.includes('route="app"') && l.includes('status="200"'))
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
}

async function hit (gw: TestGateway, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const res = await fetch(`${gw.url}/x`)
    assert.equal(res.status, 200)
    await res.arrayBuffer()
  }
}

test('two gateways in one process count their requests apart; a closed one takes its counts along', async () => {
  backend = await startBackend((_req, res) => { res.end('ok') })
  const a = await started()
  const b = await started()
  await hit(a, 3)
  await hit(b, 1)
  assert.equal(await served(a), 3)
  assert.equal(await served(b), 1)

  await a.close()
  open.splice(open.indexOf(a), 1)
  assert.equal(a.gateway.metrics.registry.getMetricsAsArray().length, 0, 'the closed gateway\'s registry is empty')
  assert.equal(await served(b), 1, 'the other gateway keeps its own')

  const c = await started()
  assert.equal(await served(c), 0, 'a new gateway starts from zero')
  await hit(c, 2)
  assert.equal(await served(c), 2)
  assert.equal(await served(b), 1)
})
