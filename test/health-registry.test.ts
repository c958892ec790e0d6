// Health state across generations: the newest generation's policy is in force, a
// changed healthCheck restarts the checker without resetting the verdict, a removed
// one puts the target back, and the last release stops everything.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { HealthCheckConfig } from '../src/upstream/health/types.js'
import { HealthRegistry } from '../src/upstream/health/health-registry.js'
import { startBackend } from './helpers/backend.js'
import { healthChange } from './helpers/health.js'
import { GatewayMetrics } from '../src/metrics.js'

const check = (over: Partial<HealthCheckConfig> = {}): HealthCheckConfig => ({
  type: 'http', path: '/health', interval: 30, timeout: 500, healthyThreshold: 1, unhealthyThreshold: 1, expectStatus: '200', ...over
})

test('policy changes across generations', async (t) => {
  const backend = await startBackend((_req, res) => { res.writeHead(500).end() })
  const registry = new HealthRegistry(new GatewayMetrics())
  t.after(async () => { registry.closeAll(); await backend.close() })

  const one = { healthCheck: check() }
  const health = registry.acquire('u', backend.url, one)
  await healthChange(health, (s) => !s.healthy, 2000)

  // Generation two changes the check: a new checker, same verdict until it says otherwise.
  const two = { healthCheck: check({ path: '/ready', interval: 60_000 }) }
  const seen = backend.seen.length
  const probed = new Promise<void>((resolve) => {
    backend.server.on('request', (req: { url?: string }) => { if (req.url === '/ready') resolve() })
  })
  assert.equal(registry.acquire('u', backend.url, two), health)
  assert.equal(health.healthy, false, 'a changed check does not reset the verdict')
  registry.release('u', backend.url, one)
  await probed // the new checker probes the new path
  assert.equal(backend.seen.slice(seen).filter((r) => r.url === '/ready').length, 1, 'one probe: a 60s interval')

  // Generation three drops healthCheck: back in rotation at once.
  const three = {}
  registry.acquire('u', backend.url, three)
  assert.equal(health.healthy, true)
  registry.release('u', backend.url, two)

  // Generation four adds outlier detection; its removal ends an ejection.
  const four = { outlierDetection: { errorRate: 0.5, minRequests: 1, window: 1000, ejectFor: 60_000 } }
  registry.acquire('u', backend.url, four)
  registry.release('u', backend.url, three)
  health.onOutcome?.(false)
  assert.equal(health.ejected, true)
  registry.acquire('u', backend.url, three)
  assert.equal(health.ejected, false)
  assert.equal(health.onOutcome, undefined)

  registry.release('u', backend.url, four)
  registry.release('u', backend.url, three)
  assert.equal(registry.get('u', backend.url), undefined, 'the last release drops the target')
})
