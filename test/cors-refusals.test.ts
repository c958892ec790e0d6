// CORS and the gateway's refusals: a preflight on an authenticated route is answered
// without credentials, and a 401 or 429 carries the CORS headers so the page can read it.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { hashKey } from '../src/cli/hash-key.js'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

const ORIGIN = 'https://app.example.com'

let backend: Backend
let gw: TestGateway

before(async () => {
  backend = await startBackend()
  gw = await startGateway(`${BASE}
security:
  cors: { origins: ["${ORIGIN}"], credentials: true }
auth:
  apiKeys:
    keys: [{ id: ci, sha256: "${hashKey('key-for-ci')}" }]
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: private, match: { path: /private }, upstream: app, auth: apiKey }
  - { name: limited, match: { path: /limited }, upstream: app, rateLimit: { max: 1, window: 1m } }
`)
})

after(async () => {
  await gw.close()
  await backend.close()
})

test('a preflight on an authenticated route is answered without credentials', async () => {
  const res = await request(gw.url + '/private', {
    method: 'OPTIONS',
    headers: { origin: ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-api-key' }
  })
  assert.equal(res.statusCode, 204)
  await res.body.text()
  assert.equal(res.headers['access-control-allow-origin'], ORIGIN)
  assert.equal(res.headers['access-control-allow-headers'], 'x-api-key')
  assert.equal(backend.seen.filter((s) => s.method === 'OPTIONS').length, 0)
})

test('a 401 carries the CORS headers for an allowed origin', async () => {
  const res = await request(gw.url + '/private', { headers: { origin: ORIGIN } })
  assert.equal(res.statusCode, 401)
  await res.body.text()
  assert.equal(res.headers['access-control-allow-origin'], ORIGIN)
  assert.equal(res.headers['access-control-allow-credentials'], 'true')
})

test('a 429 carries the CORS headers for an allowed origin, and none for a foreign one', async () => {
  const first = await request(gw.url + '/limited', { headers: { origin: ORIGIN } })
  assert.equal(first.statusCode, 200)
  await first.body.text()
  const limited = await request(gw.url + '/limited', { headers: { origin: ORIGIN } })
  assert.equal(limited.statusCode, 429)
  await limited.body.text()
  assert.equal(limited.headers['access-control-allow-origin'], ORIGIN)
  assert.equal(limited.headers['access-control-allow-credentials'], 'true')
  assert.match(String(limited.headers.vary), /\bOrigin\b/i)
  const foreign = await request(gw.url + '/limited', { headers: { origin: 'https://evil.example.net' } })
  assert.equal(foreign.statusCode, 429)
  await foreign.body.text()
  assert.equal(foreign.headers['access-control-allow-origin'], undefined)
})
