// Active health checks against real backends: thresholds, expectStatus, TCP, and
// that checks never overlap.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { ActiveChecker } from '../src/upstream/health/active-checker.js'
import { TargetHealth } from '../src/upstream/health/target-health.js'
import type { HealthCheckConfig } from '../src/upstream/health/types.js'
import { startBackend } from './helpers/backend.js'
import { healthChange } from './helpers/health.js'
import { GatewayMetrics } from '../src/metrics.js'

const config = (over: Partial<HealthCheckConfig> = {}): HealthCheckConfig => ({
  type: 'http', path: '/health', interval: 50, timeout: 500, healthyThreshold: 2, unhealthyThreshold: 3, expectStatus: '200-399', ...over
})

test('an HTTP check takes a target out after unhealthyThreshold failures and back after healthyThreshold passes', async (t) => {
  let status = 200
  const backend = await startBackend((_req, res) => { res.writeHead(status).end() })
  const health = new TargetHealth('hc-http', backend.url, new GatewayMetrics())
  const checker = new ActiveChecker(backend.url, config(), health)
  const results: boolean[] = []
  checker.on('check', (ok) => { results.push(ok) })
  t.after(async () => { checker.stop(); health.retire(); await backend.close() })
  checker.start()
  await once(checker, 'check')
  assert.equal(health.healthy, true, 'a target starts healthy')

  status = 503
  const failuresBefore = results.length
  await healthChange(health, (s) => !s.healthy, 3000)
  const failures = results.slice(failuresBefore)
  assert.deepEqual(failures.slice(-3), [false, false, false])
  assert.ok(failures.filter((ok) => !ok).length === 3, `out after exactly 3 failures: ${JSON.stringify(failures)}`)
  assert.equal(health.snapshot().available, false)

  status = 204
  const passesBefore = results.length
  await healthChange(health, (s) => s.healthy, 3000)
  assert.deepEqual(results.slice(passesBefore), [true, true], 'back after exactly 2 passes')
})

test('a single failure between passes does not flap the target', async (t) => {
  let calls = 0
  const backend = await startBackend((_req, res) => { res.writeHead(++calls % 3 === 0 ? 500 : 200).end() })
  const health = new TargetHealth('hc-flap', backend.url, new GatewayMetrics())
  const changes: unknown[] = []
  health.on('change', (s) => changes.push(s))
  const checker = new ActiveChecker(backend.url, config({ unhealthyThreshold: 2 }), health)
  t.after(async () => { checker.stop(); health.retire(); await backend.close() })
  checker.start()
  for (let i = 0; i < 9; i++) await once(checker, 'check')
  assert.deepEqual(changes, [])
})

test('expectStatus: a range, a list, and statuses outside them', async (t) => {
  let status = 302
  const backend = await startBackend((_req, res) => { res.writeHead(status).end() })
  const health = new TargetHealth('hc-expect', backend.url, new GatewayMetrics())
  const checker = new ActiveChecker(backend.url, config({ expectStatus: '200,204,300-302', unhealthyThreshold: 1, healthyThreshold: 1 }), health)
  t.after(async () => { checker.stop(); health.retire(); await backend.close() })
  checker.start()
  assert.deepEqual(await once(checker, 'check'), [true])
  status = 303
  await healthChange(health, (s) => !s.healthy, 2000)
  status = 204
  await healthChange(health, (s) => s.healthy, 2000)
  status = 201
  await healthChange(health, (s) => !s.healthy, 2000)
})

test('a check that takes longer than its timeout fails', async (t) => {
  const backend = await startBackend((_req, res) => { setTimeout(() => res.writeHead(200).end(), 300).unref() })
  const health = new TargetHealth('hc-timeout', backend.url, new GatewayMetrics())
  const checker = new ActiveChecker(backend.url, config({ timeout: 50, unhealthyThreshold: 1 }), health)
  t.after(async () => { checker.stop(); health.retire(); await backend.close() })
  checker.start()
  assert.deepEqual(await once(checker, 'check'), [false])
  assert.equal(health.healthy, false)
})

test('a TCP check passes while the port accepts connections and fails once it is closed', async (t) => {
  const server = createServer((socket) => socket.destroy())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`
  const health = new TargetHealth('hc-tcp', origin, new GatewayMetrics())
  const checker = new ActiveChecker(origin, config({ type: 'tcp', unhealthyThreshold: 2 }), health)
  t.after(() => { checker.stop(); health.retire(); server.close() })
  checker.start()
  assert.deepEqual(await once(checker, 'check'), [true])
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  await healthChange(health, (s) => !s.healthy, 2000)
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  await healthChange(health, (s) => s.healthy, 2000)
})

test('checks never overlap, even when the health endpoint is slower than the interval', async (t) => {
  let concurrent = 0
  let maxConcurrent = 0
  let served = 0
  const backend = await startBackend((_req, res) => {
    maxConcurrent = Math.max(maxConcurrent, ++concurrent)
    setTimeout(() => { concurrent--; served++; res.writeHead(200).end() }, 80).unref()
  })
  const health = new TargetHealth('hc-overlap', backend.url, new GatewayMetrics())
  const checker = new ActiveChecker(backend.url, config({ interval: 10, timeout: 1000 }), health)
  t.after(async () => { checker.stop(); health.retire(); await backend.close() })
  checker.start()
  for (let i = 0; i < 5; i++) await once(checker, 'check')
  assert.equal(maxConcurrent, 1)
  assert.ok(served >= 5)
})

test('stop() ends the checks: no further requests reach the target', async (t) => {
  const backend = await startBackend((_req, res) => { res.writeHead(200).end() })
  const health = new TargetHealth('hc-stop', backend.url, new GatewayMetrics())
  const checker = new ActiveChecker(backend.url, config({ interval: 20 }), health)
  t.after(async () => { health.retire(); await backend.close() })
  checker.start()
  await once(checker, 'check')
  checker.stop()
  const seen = backend.seen.length
  // A bounded window in which a running checker would have checked several times.
  await new Promise((resolve) => setTimeout(resolve, 150))
  assert.equal(backend.seen.length, seen)
})
