// Security headers (security.headers): on every response, proxied or the
// gateway's own error; helmet's app-breaking defaults stay off; the upstream's own value
// of a header wins.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

const EXPECTED: Record<string, string> = {
  'strict-transport-security': 'max-age=31536000',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0'
}
const NEVER = ['content-security-policy', 'cross-origin-resource-policy', 'cross-origin-opener-policy', 'cross-origin-embedder-policy', 'origin-agent-cluster']

let backend: Backend
let gw: TestGateway

before(async () => {
  backend = await startBackend((req, res) => {
    const own = req.url === '/app/framed' ? { 'x-frame-options': 'DENY' } : {}
    res.writeHead(200, { 'content-type': 'text/plain', ...own })
    res.end('ok')
  })
  gw = await startGateway(`${BASE}
security: { headers: true }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
  down: { targets: [{ url: http://127.0.0.1:1 }] }
routes:
  - { name: app, match: { path: /app, methods: [GET] }, upstream: app }
  - { name: compressed, match: { path: /compressed }, upstream: app, compress: true }
  - { name: broken, match: { path: /broken }, upstream: down }
`)
})

after(async () => {
  await gw.close()
  await backend.close()
})

async function headersOf (path: string, method = 'GET'): Promise<{ status: number, headers: Record<string, string | string[] | undefined> }> {
  const res = await request(gw.url + path, { method })
  await res.body.text()
  return { status: res.statusCode, headers: res.headers }
}

function assertSecurityHeaders (headers: Record<string, string | string[] | undefined>, where: string): void {
  for (const [name, value] of Object.entries(EXPECTED)) assert.equal(headers[name], value, `${where}: ${name}`)
  for (const name of NEVER) assert.equal(headers[name], undefined, `${where}: ${name}`)
}

test('a proxied 200 carries the security headers, and none of the app-breaking ones', async () => {
  const { status, headers } = await headersOf('/app/x')
  assert.equal(status, 200)
  assertSecurityHeaders(headers, 'proxied')
})

test('a response sent through Fastify (a compress route) carries them too', async () => {
  const { status, headers } = await headersOf('/compressed')
  assert.equal(status, 200)
  assertSecurityHeaders(headers, 'compress route')
})

test('the gateway\'s own 404, 405 and 502 carry them', async () => {
  const notFound = await headersOf('/nowhere')
  assert.equal(notFound.status, 404)
  assertSecurityHeaders(notFound.headers, '404')
  const notAllowed = await headersOf('/app', 'DELETE')
  assert.equal(notAllowed.status, 405)
  assertSecurityHeaders(notAllowed.headers, '405')
  const badGateway = await headersOf('/broken')
  assert.equal(badGateway.status, 502)
  assertSecurityHeaders(badGateway.headers, '502')
})

test('the upstream\'s own value of a security header wins', async () => {
  const { headers } = await headersOf('/app/framed')
  assert.equal(headers['x-frame-options'], 'DENY')
  assert.equal(headers['x-content-type-options'], 'nosniff')
})

test('without security.headers no security header is added', async () => {
  const plain = await startGateway(`${BASE}
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: /app }, upstream: app }
`)
  try {
    for (const path of ['/app', '/nowhere']) {
      const res = await request(plain.url + path)
      await res.body.text()
      for (const name of Object.keys(EXPECTED)) assert.equal(res.headers[name], undefined, `${path}: ${name}`)
    }
  } finally {
    await plain.close()
  }
})
