// What an operator reads in the log of a real gateway (the CLI, as a child process)
// when a target leaves rotation and comes back: one line each, with upstream, target
// and reason, for active health checks, circuit breakers and outlier ejection.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { startChildGateway, type ChildGateway, type LogLine } from './helpers/child.js'

/** A backend whose answer status the test switches. */
interface Switchable { backend: Backend, status: number }

async function switchable (): Promise<Switchable> {
  const s: Switchable = { backend: undefined as unknown as Backend, status: 200 }
  s.backend = await startBackend((_req, res) => { res.writeHead(s.status, { 'content-length': 2 }).end('ok') })
  return s
}

let checked: Switchable
let broken: Switchable
let outlier: Switchable
let gw: ChildGateway

before(async () => {
  checked = await switchable()
  broken = await switchable()
  outlier = await switchable()
  gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: false }
upstreams:
  checked:
    targets: [{ url: "${checked.backend.url}" }]
    onNoHealthyTarget: any
    healthCheck: { path: /health, interval: 50ms, timeout: 2s, healthyThreshold: 1, unhealthyThreshold: 2 }
  broken:
    targets: [{ url: "${broken.backend.url}" }]
    circuitBreaker: { errorThresholdPercentage: 50, volumeThreshold: 2, resetTimeout: 300ms }
  outlier:
    targets: [{ url: "${outlier.backend.url}" }]
    onNoHealthyTarget: any
    outlierDetection: { errorRate: 0.5, minRequests: 3, window: 10s, ejectFor: 300ms }
routes:
  - { name: broken, match: { path: /broken }, upstream: broken }
  - { name: outlier, match: { path: /outlier }, upstream: outlier }
`)
})

after(async () => {
  await gw.close()
  for (const s of [checked, broken, outlier]) await s.backend.close()
})

const lines = (msg: string, upstream: string): LogLine[] => gw.logs.filter((l) => l.msg === msg && l.upstream === upstream)

async function waitFor (msg: string, upstream: string): Promise<LogLine> {
  return await gw.waitForLog((l) => l.msg === msg && l.upstream === upstream)
}

/** Sends requests (at most `max`) until `done` says stop. */
async function sendUntil (path: string, done: () => boolean, max = 200): Promise<void> {
  for (let i = 0; i < max && !done(); i++) {
    const res = await request(gw.url + path)
    await res.body.dump()
  }
}

test('an active health check verdict: one line out, one line back', async () => {
  checked.status = 503
  const out = await waitFor('target unhealthy', 'checked')
  assert.equal(out.level, 40)
  assert.equal(out.target, checked.backend.url)
  assert.equal(out.reason, '2 checks of GET /health (expecting 200-399) failed in a row')
  checked.status = 200
  const back = await waitFor('target healthy', 'checked')
  assert.equal(back.level, 30)
  assert.equal(back.reason, '1 check of GET /health (expecting 200-399) passed in a row')
  assert.equal(lines('target unhealthy', 'checked').length, 1)
  assert.equal(lines('target healthy', 'checked').length, 1)
})

test('a circuit breaker: one line when it opens, one when it closes', async () => {
  broken.status = 500
  await sendUntil('/broken', () => lines('circuit breaker opened', 'broken').length > 0)
  const opened = await waitFor('circuit breaker opened', 'broken')
  assert.equal(opened.level, 40)
  assert.equal(opened.target, broken.backend.url)
  assert.match(String(opened.reason), /^\d+ of \d+ attempts failed \(errorThresholdPercentage 50\); a probe in 300 ms$/)
  broken.status = 200
  // Refused while open; after resetTimeout one probe goes through and closes it.
  await sendUntil('/broken', () => lines('circuit breaker closed', 'broken').length > 0, 2000)
  const closed = await waitFor('circuit breaker closed', 'broken')
  assert.equal(closed.reason, 'the half-open probe succeeded')
  assert.equal(lines('circuit breaker opened', 'broken').length, 1)
  assert.equal(lines('circuit breaker closed', 'broken').length, 1)
})

test('an outlier ejection: one line out, one line back', async () => {
  outlier.status = 502
  await sendUntil('/outlier', () => lines('target ejected', 'outlier').length > 0)
  const ejected = await waitFor('target ejected', 'outlier')
  assert.equal(ejected.level, 40)
  assert.equal(ejected.target, outlier.backend.url)
  assert.match(String(ejected.reason), /^\d+ of \d+ attempts failed within 10000 ms \(errorRate 0\.5\); out for 300 ms$/)
  outlier.status = 200
  const back = await waitFor('target back from ejection', 'outlier')
  assert.equal(back.reason, 'ejectFor 300 ms is over')
  assert.equal(lines('target ejected', 'outlier').length, 1)
})
