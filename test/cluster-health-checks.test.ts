// Active health checks with server.workers: 2 run once, in the primary, not once per
// worker, and their verdict reaches every worker: when the target starts failing, it
// goes out after exactly `unhealthyThreshold` checks, and both workers answer 503.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { startChildGateway, type ChildGateway } from './helpers/child.js'
import { adminJson, fresh, linesOf, waitForLines } from './helpers/cluster.js'

let backend: Backend
let gw: ChildGateway
let failing = false
let checks = 0
let checked: () => void = () => undefined
let startedAt = 0
const INTERVAL_MS = 3000

before(async () => {
  backend = await startBackend((req, res) => {
    if (req.url === '/health') {
      checks++
      checked()
      res.statusCode = failing ? 503 : 200
    }
    res.end('ok')
  })
  startedAt = Date.now()
  gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0, workers: 2 }
admin: { host: 127.0.0.1, port: 0, readyRequiresHealthyTarget: true }
logging: { level: info, accessLog: true }
upstreams:
  app:
    targets: [{ url: ${backend.url} }]
    healthCheck: { path: /health, interval: 3s, timeout: 1s, healthyThreshold: 1, unhealthyThreshold: 2 }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
})

after(async () => {
  await gw.close()
  await backend.close()
})

interface Backends { upstreams: { app: { targets: Array<{ healthy: boolean }> } } }

test('one checker for the gateway; its verdict takes the target out on every worker', async () => {
  // The primary and both workers have started: with a checker per process there would
  // be 3 first checks; one checker makes one, plus one per interval since.
  assert.ok(checks <= 1 + Math.floor((Date.now() - startedAt) / INTERVAL_MS), `${checks} checks since start`)
  failing = true
  const counted = checks
  // Two more failing checks (unhealthyThreshold) take it out; the next is 3 s away.
  await new Promise<void>((resolve) => { checked = () => { if (checks >= counted + 2) resolve() } })
  let view = await adminJson<Backends>(gw, '/backends')
  while (view.upstreams.app.targets[0]?.healthy !== false) view = await adminJson<Backends>(gw, '/backends')
  assert.equal(checks, counted + 2, 'exactly unhealthyThreshold checks, not one set per worker')
  const ready = await request(gw.adminUrl + '/readyz')
  assert.equal(ready.statusCode, 503)
  assert.deepEqual(await ready.body.json(), { status: 'no healthy target', upstreams: ['app'] })

  const before = linesOf(gw, (l) => l.msg === 'access').length
  const statuses = []
  for (let i = 0; i < 10; i++) statuses.push((await fresh(gw.url + '/x')).status)
  assert.deepEqual(statuses, Array<number>(10).fill(503))
  await waitForLines(gw, (l) => l.msg === 'access', before + 10)
  assert.equal(new Set(linesOf(gw, (l) => l.msg === 'access').slice(before).map((l) => l.pid)).size, 2, 'both workers know')
})
