// The two example plugins (examples/plugins/, compiled to dist/examples/plugins/) through
// a real gateway and a real backend: the tenant header router and the HMAC signature check.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { loadConfigFile } from '../src/config/load.js'
import { canonicalString, sign } from '../examples/plugins/hmac-signature.js'
import { startBackend, type Backend } from './helpers/backend.js'
import { ROOT } from './helpers/child.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

const BUILT = path.join(ROOT, 'dist', 'examples', 'plugins')
const SECRET = randomBytes(32).toString('hex')

let backend: Backend
let gw: TestGateway

before(async () => {
  backend = await startBackend()
  gw = await startGateway(BASE + `
plugins:
  - { name: tenant, module: ${path.join(BUILT, 'tenant.js')}, options: { tenants: [acme, globex] } }
  - { name: signed, module: ${path.join(BUILT, 'hmac-signature.js')}, options: { secret: "${SECRET}", maxSkew: 60 } }
upstreams: { app: { targets: [{ url: "${backend.url}" }] } }
routes:
  - { name: tenants, match: { path: /tenants }, upstream: app, plugins: [tenant] }
  - { name: signed, match: { path: /signed }, upstream: app, plugins: [signed] }
`)
})
after(async () => {
  await gw.close()
  await backend.close()
})

async function call (path: string, init: { method?: string, headers?: Record<string, string>, body?: string } = {}): Promise<{ status: number, body: Record<string, unknown> }> {
  const res = await request(gw.url + path, { method: (init.method ?? 'GET') as 'GET', headers: init.headers, body: init.body })
  return { status: res.statusCode, body: await res.body.json() as Record<string, unknown> }
}
const upstreamHeaders = (body: Record<string, unknown>): Record<string, string> => body.headers as Record<string, string>

test('tenant: a request naming a served tenant reaches the upstream with x-tenant-id, the client\'s own one replaced', async () => {
  const res = await call('/tenants/orders', { headers: { 'x-tenant': 'acme', 'x-tenant-id': 'globex' } })
  assert.equal(res.status, 200)
  assert.equal(upstreamHeaders(res.body)['x-tenant-id'], 'acme')
})

test('tenant: a request without the header, or with a tenant not served, is answered 400 by the gateway', async () => {
  const reached = backend.seen.length
  const refused: Array<Record<string, string>> = [{}, { 'x-tenant': 'initech' }, { 'x-tenant': '../etc' }]
  for (const headers of refused) {
    const res = await call('/tenants/orders', { headers })
    assert.equal(res.status, 400)
    assert.equal(res.body.code, 'TENANT_REQUIRED')
  }
  assert.equal(backend.seen.length, reached)
})

function signed (method: string, pathAndQuery: string, body = '', at = Math.floor(Date.now() / 1000)): Record<string, string> {
  const digest = createHash('sha256').update(body).digest('hex')
  const timestamp = String(at)
  return { 'x-signature-timestamp': timestamp, 'x-content-sha256': digest, 'x-signature': sign(SECRET, canonicalString(method, pathAndQuery, timestamp, digest)) }
}

test('hmac: a correctly signed GET and POST reach the upstream', async () => {
  assert.equal((await call('/signed/a?b=1', { headers: signed('GET', '/signed/a?b=1') })).status, 200)
  const body = JSON.stringify({ order: 7 })
  const res = await call('/signed/orders', { method: 'POST', body, headers: { 'content-type': 'application/json', ...signed('POST', '/signed/orders', body) } })
  assert.equal(res.status, 200)
  assert.equal(res.body.bodyBytes, Buffer.byteLength(body))
})

test('hmac: a missing, wrong, replayed-elsewhere or expired signature is answered 401', async () => {
  const reached = backend.seen.length
  const good = signed('GET', '/signed/a')
  const cases: Array<[string, Record<string, string>]> = [
    ['/signed/a', {}],
    ['/signed/a', { ...good, 'x-signature': 'sha256=' + '0'.repeat(64) }],
    ['/signed/b', good],
    ['/signed/a', signed('GET', '/signed/a', '', Math.floor(Date.now() / 1000) - 120)]
  ]
  for (const [path, headers] of cases) {
    const res = await call(path, { headers })
    assert.equal(res.status, 401, `${path} ${JSON.stringify(headers)}`)
    assert.equal(res.body.code, 'HMAC_SIGNATURE_INVALID')
  }
  assert.equal(backend.seen.length, reached)
})

test('examples/plugins/gateway.yaml loads with both plugins', async () => {
  const loaded = await loadConfigFile(path.join(ROOT, 'examples', 'plugins', 'gateway.yaml'), { HMAC_SECRET: SECRET })
  assert.deepEqual([...loaded.plugins?.keys() ?? []], ['tenant', 'signed'])
})
