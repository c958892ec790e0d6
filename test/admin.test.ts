// The admin API on its own listener.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

let backend: Backend
let gw: TestGateway

before(async () => {
  backend = await startBackend()
  gw = await startGateway(`${BASE}
upstreams:
  app: { targets: [{ url: ${backend.url}, weight: 2 }] }
routes:
  - { name: app, match: { path: /api }, upstream: app }
`)
})

after(async () => {
  await gw.close()
  await backend.close()
})

// Admin answers are checked field by field; a loose JSON type keeps the tests short.
type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

async function admin (path: string, init: { method?: string, headers?: Record<string, string> } = {}) {
  const res = await request(gw.adminUrl + path, { method: (init.method ?? 'GET') as 'GET', headers: init.headers })
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as Json }
}

test('healthz and readyz answer 200 on a running gateway', async () => {
  assert.equal((await admin('/healthz')).status, 200)
  const ready = await admin('/readyz')
  assert.equal(ready.status, 200)
})

test('version reports version, commit, node and start time', async () => {
  const v = (await admin('/version')).json()
  assert.match(v.version, /^\d+\.\d+\.\d+/)
  assert.equal(typeof v.commit, 'string')
  assert.equal(v.node, process.version)
  assert.ok(!Number.isNaN(Date.parse(v.startedAt)))
})

test('config shows the running config with the admin token redacted', async () => {
  const c = (await admin('/config')).json()
  assert.equal(c.generation, 1)
  assert.equal(c.config.routes[0].name, 'app')
  assert.notEqual(c.config.admin.token, 'test-token')
  assert.ok(!JSON.stringify(c).includes('test-token'))
})

test('backends lists upstreams and targets', async () => {
  const b = (await admin('/backends')).json()
  assert.deepEqual(b.upstreams.app.targets[0], { url: backend.url, weight: 2, healthy: true, ejected: false, breaker: 'closed', activeRequests: 0 })
  assert.equal(b.upstreams.app.balancer, 'round-robin')
})

test('metrics expose the turnpike_ series with route labels, never raw URLs', async () => {
  for (let i = 0; i < 3; i++) await (await request(`${gw.url}/api/item/${i}`)).body.dump()
  await (await request(`${gw.url}/unrouted/${Math.random()}`)).body.dump()
  const m = await admin('/metrics')
  assert.equal(m.status, 200)
  assert.match(m.text, /turnpike_requests_total\{route="app",method="GET",status="200",protocol="http1"\} \d+/)
  assert.match(m.text, /turnpike_requests_total\{route="\(none\)",method="GET",status="404",protocol="http1"\}/)
  assert.match(m.text, /turnpike_request_duration_seconds_bucket\{le="[^"]+",route="app",method="GET",protocol="http1"\}/)
  assert.match(m.text, /turnpike_active_connections \d+/)
  assert.match(m.text, new RegExp(`turnpike_upstream_request_duration_seconds_count\\{upstream="app",target="${backend.url}"\\} [1-9]`))
  assert.match(m.text, /turnpike_config_reloads_total/)
  assert.match(m.text, /process_cpu_user_seconds_total/)
  assert.ok(!m.text.includes('/unrouted/'), 'no raw URL in any label')
})

test('POST /reload needs the bearer token', async () => {
  const none = await admin('/reload', { method: 'POST' })
  assert.equal(none.status, 401)
  assert.match(String(none.headers['www-authenticate']), /^Bearer/)
  const wrong = await admin('/reload', { method: 'POST', headers: { authorization: 'Bearer nope' } })
  assert.equal(wrong.status, 401)
  const right = await admin('/reload', { method: 'POST', headers: { authorization: 'Bearer test-token' } })
  assert.equal(right.status, 200)
  assert.equal(right.json().result, 'success')
})
