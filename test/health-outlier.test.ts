// Passive outlier detection: a target answering 500s to real traffic is ejected once
// the window holds minRequests at errorRate, and comes back by itself after ejectFor.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { request } from 'undici'
import { OutlierDetector } from '../src/upstream/health/outlier-detector.js'
import { TargetHealth } from '../src/upstream/health/target-health.js'
import { startBackend } from './helpers/backend.js'
import { BASE, startGateway } from './helpers/gateway.js'
import { healthChange, targetHealth } from './helpers/health.js'
import { GatewayMetrics } from '../src/metrics.js'

test('a target returning 500s is ejected, gets no traffic, and is back after ejectFor', async (t) => {
  let failing = true
  const bad = await startBackend((_req, res) => { res.writeHead(failing ? 500 : 200, { 'x-backend': 'bad' }).end() })
  const good = await startBackend((_req, res) => { res.writeHead(200, { 'x-backend': 'good' }).end() })
  const gw = await startGateway(`${BASE}upstreams:
  app:
    targets: [{ url: "${bad.url}" }, { url: "${good.url}" }]
    outlierDetection: { errorRate: 0.5, minRequests: 4, window: 10s, ejectFor: 300ms }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  t.after(async () => { await gw.close(); await bad.close(); await good.close() })
  const health = targetHealth(gw.gateway, 'app', 0)
  const ejected = healthChange(health, (s) => s.ejected, 2000)

  const statuses: number[] = []
  for (let i = 0; i < 8 && !health.ejected; i++) {
    const response = await request(`${gw.url}/x`)
    await response.body.dump()
    statuses.push(response.statusCode)
  }
  await ejected
  assert.equal(statuses.filter((s) => s === 500).length, 4, `ejected at the 4th failure: ${JSON.stringify(statuses)}`)
  assert.equal(health.healthy, true, 'ejection is not an active-check verdict')
  assert.equal(health.snapshot().available, false)
  const backends = await (await request(`${gw.adminUrl}/backends`)).body.json() as { upstreams: { app: { targets: Array<{ healthy: boolean, ejected: boolean }> } } }
  assert.deepEqual(backends.upstreams.app.targets.map((x) => [x.healthy, x.ejected]), [[true, true], [true, false]])
  const metrics = await (await request(`${gw.adminUrl}/metrics`)).body.text()
  assert.match(metrics, new RegExp(`turnpike_upstream_target_healthy\\{upstream="app",target="${bad.url}"\\} 0`))

  const seenByBad = bad.seen.length
  for (let i = 0; i < 6; i++) {
    const response = await request(`${gw.url}/x`)
    await response.body.dump()
    assert.equal(response.statusCode, 200)
  }
  assert.equal(bad.seen.length, seenByBad, 'an ejected target gets no traffic')

  failing = false
  const backAfter = await healthChange(health, (s) => !s.ejected, 2000)
  assert.ok(backAfter < 1500, `back after ${backAfter}ms, with no traffic to it`)
  const after = await Promise.all(Array.from({ length: 6 }, async () => {
    const response = await request(`${gw.url}/x`)
    await response.body.dump()
    return response.headers['x-backend']
  }))
  assert.ok(after.includes('bad'), 'back in rotation')
})

test('fewer than minRequests, or a rate under errorRate, never ejects', () => {
  const health = new TargetHealth('od-unit', 'http://od-unit', new GatewayMetrics())
  let now = 0
  const detector = new OutlierDetector({ errorRate: 0.5, minRequests: 10, window: 1000, ejectFor: 1000 }, health, () => now)
  for (let i = 0; i < 9; i++) detector.record(false)
  assert.equal(health.ejected, false, '9 failures < minRequests')
  now = 1500 // the window slid past all of them
  for (let i = 0; i < 6; i++) detector.record(true)
  for (let i = 0; i < 5; i++) detector.record(false)
  assert.equal(health.ejected, false, '5 of 11 is under 0.5')
  detector.record(false)
  assert.equal(health.ejected, true, '6 of 12 reaches 0.5')
  detector.stop()
  health.retire()
})

test('pending checker and ejection timers do not keep a process alive', async () => {
  const script = `
    import { ActiveChecker } from './src/upstream/health/active-checker.ts'
    import { OutlierDetector } from './src/upstream/health/outlier-detector.ts'
    import { TargetHealth } from './src/upstream/health/target-health.ts'
    import { GatewayMetrics } from './src/metrics.ts'
    const health = new TargetHealth('u', 'http://127.0.0.1:9', new GatewayMetrics())
    const checker = new ActiveChecker('http://127.0.0.1:9', { type: 'tcp', path: '/', interval: 3600000, timeout: 3600000, healthyThreshold: 1, unhealthyThreshold: 1, expectStatus: '200' }, health)
    checker.on('check', () => { console.log('checked') })
    checker.start()
    const detector = new OutlierDetector({ errorRate: 0.1, minRequests: 1, window: 1000, ejectFor: 3600000 }, health)
    detector.record(false)
    console.log('ejected', health.ejected)
  `
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const timer = setTimeout(() => child.kill(), 10000)
  const [code] = await once(child, 'exit') as [number | null]
  clearTimeout(timer)
  assert.equal(code, 0, 'exited by itself')
  assert.match(out, /ejected true/)
  assert.match(out, /checked/)
})
