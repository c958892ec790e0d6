// admin.readyRequiresHealthyTarget: /readyz follows whether every upstream has a target
// in rotation, so an orchestrator stops routing to a gateway that could only answer 503.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import { startBackend } from './helpers/backend.js'
import { startGateway } from './helpers/gateway.js'
import { healthChange, targetHealth } from './helpers/health.js'

test('with readyRequiresHealthyTarget, /readyz is 503 while an upstream has no healthy target', async () => {
  let up = true
  const backend = await startBackend((_req, res) => {
    res.statusCode = up ? 200 : 500
    res.end()
  })
  const gw = await startGateway(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0, readyRequiresHealthyTarget: true }
logging: { level: silent }
upstreams:
  app:
    targets: [{ url: ${backend.url} }]
    healthCheck: { interval: 50ms, timeout: 500ms, healthyThreshold: 1, unhealthyThreshold: 2 }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  const readyz = async (): Promise<{ status: number, body: { upstreams?: string[] } }> => {
    const res = await request(gw.adminUrl + '/readyz')
    return { status: res.statusCode, body: await res.body.json() as { upstreams?: string[] } }
  }
  try {
    assert.equal((await readyz()).status, 200)
    const health = targetHealth(gw.gateway, 'app', 0)
    up = false
    await healthChange(health, (s) => !s.healthy, 5000)
    assert.deepEqual(await readyz(), { status: 503, body: { status: 'no healthy target', upstreams: ['app'] } })
    up = true
    await healthChange(health, (s) => s.healthy, 5000)
    assert.equal((await readyz()).status, 200)
  } finally {
    await gw.close()
    await backend.close()
  }
})
