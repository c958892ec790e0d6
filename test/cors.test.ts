// CORS (security.cors, route cors): allowed and foreign origins, preflights
// answered at the gateway (the backend never sees them), wildcard origins, credentials,
// a route's own policy and `cors: false`.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { compileOrigins } from '../plugins/cors.js'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

let backend: Backend
let gw: TestGateway

before(async () => {
  backend = await startBackend()
  gw = await startGateway(`${BASE}
security:
  cors:
    origins: ["https://app.example.com", "https://*.example.org"]
    credentials: true
    exposedHeaders: [x-total-count]
    maxAge: 10m
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
  down: { targets: [{ url: http://127.0.0.1:1 }] }
routes:
  - name: users
    match: { path: /users, methods: [GET, POST] }
    upstream: app
  - name: open
    match: { path: /open }
    upstream: app
    cors: { origins: ["*"] }
  - name: open-credentials
    match: { path: /open-credentials }
    upstream: app
    cors: { origins: ["*"], credentials: true, allowedHeaders: [content-type, x-token], methods: [GET, PUT] }
  - name: internal
    match: { path: /internal }
    upstream: app
    cors: false
  - name: broken
    match: { path: /broken }
    upstream: down
`)
})

after(async () => {
  await gw.close()
  await backend.close()
})

function preflight (path: string, origin: string, method = 'POST', headers: Record<string, string> = {}) {
  return request(gw.url + path, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, ...headers }
  })
}

function optionsSeenBy (path: string): number {
  return backend.seen.filter((s) => s.method === 'OPTIONS' && s.url.startsWith(path)).length
}

test('an allowed origin gets its origin back on a proxied request, with credentials and exposed headers', async () => {
  const res = await request(gw.url + '/users/7', { headers: { origin: 'https://app.example.com' } })
  assert.equal(res.statusCode, 200)
  await res.body.text()
  assert.equal(res.headers['access-control-allow-origin'], 'https://app.example.com')
  assert.equal(res.headers['access-control-allow-credentials'], 'true')
  assert.equal(res.headers['access-control-expose-headers'], 'x-total-count')
  assert.match(String(res.headers.vary), /\bOrigin\b/i)
})

test('a preflight on a route without OPTIONS is answered at the gateway, never forwarded', async () => {
  const before = optionsSeenBy('/users')
  const res = await preflight('/users', 'https://app.example.com', 'POST', { 'access-control-request-headers': 'content-type, x-token' })
  assert.equal(res.statusCode, 204)
  assert.equal(await res.body.text(), '')
  assert.equal(res.headers['access-control-allow-origin'], 'https://app.example.com')
  assert.equal(res.headers['access-control-allow-credentials'], 'true')
  assert.equal(res.headers['access-control-allow-methods'], 'GET, POST, HEAD')
  assert.equal(res.headers['access-control-allow-headers'], 'content-type, x-token')
  assert.equal(res.headers['access-control-max-age'], '600')
  assert.equal(optionsSeenBy('/users'), before)
})

test('a preflight for a method the route refuses still gets 405', async () => {
  const res = await preflight('/users', 'https://app.example.com', 'DELETE')
  assert.equal(res.statusCode, 405)
  await res.body.text()
  assert.equal(res.headers['access-control-allow-origin'], undefined)
})

test('a foreign origin: the request is proxied without CORS headers, its preflight gets no allow headers', async () => {
  const res = await request(gw.url + '/users', { headers: { origin: 'https://evil.example.net' } })
  assert.equal(res.statusCode, 200)
  const seen = JSON.parse(await res.body.text()) as { url: string }
  assert.equal(seen.url, '/users')
  assert.equal(res.headers['access-control-allow-origin'], undefined)
  assert.equal(res.headers['access-control-allow-credentials'], undefined)

  const before = optionsSeenBy('/users')
  const pre = await preflight('/users', 'https://evil.example.net')
  assert.equal(pre.statusCode, 204)
  await pre.body.text()
  const allowHeaders = Object.keys(pre.headers).filter((h) => h.startsWith('access-control-'))
  assert.deepEqual(allowHeaders, [])
  assert.match(String(pre.headers.vary), /\bOrigin\b/i)
  assert.equal(optionsSeenBy('/users'), before)
})

test('a wildcard origin matches exactly one label under its domain, with its scheme', async () => {
  const cases: Array<[string, boolean]> = [
    ['https://shop.example.org', true],
    ['https://SHOP.example.org', true],
    ['https://a.b.example.org', false],
    ['http://shop.example.org', false],
    ['https://example.org', false],
    ['https://evilexample.org', false],
    ['https://shop.example.org.evil.com', false]
  ]
  for (const [origin, allowed] of cases) {
    const res = await request(gw.url + '/users', { headers: { origin } })
    await res.body.text()
    assert.equal(res.headers['access-control-allow-origin'], allowed ? origin : undefined, origin)
  }
})

test('a route policy with * and no credentials answers with *', async () => {
  const res = await request(gw.url + '/open', { headers: { origin: 'https://anyone.test' } })
  await res.body.text()
  assert.equal(res.headers['access-control-allow-origin'], '*')
  assert.equal(res.headers['access-control-allow-credentials'], undefined)
  assert.equal(res.headers['access-control-expose-headers'], undefined) // the global policy is replaced, not merged
})

test('* with credentials echoes the origin (never *), and never echoes the origin null', async () => {
  const res = await request(gw.url + '/open-credentials', { headers: { origin: 'https://anyone.test' } })
  await res.body.text()
  assert.equal(res.headers['access-control-allow-origin'], 'https://anyone.test')
  assert.equal(res.headers['access-control-allow-credentials'], 'true')
  assert.match(String(res.headers.vary), /\bOrigin\b/i)

  const pre = await preflight('/open-credentials', 'https://anyone.test', 'PUT', { 'access-control-request-headers': 'x-other' })
  assert.equal(pre.statusCode, 204)
  await pre.body.text()
  assert.equal(pre.headers['access-control-allow-origin'], 'https://anyone.test')
  assert.equal(pre.headers['access-control-allow-methods'], 'GET, PUT')
  assert.equal(pre.headers['access-control-allow-headers'], 'content-type, x-token')
  assert.equal(pre.headers['access-control-max-age'], undefined)

  const sandboxed = await request(gw.url + '/open-credentials', { headers: { origin: 'null' } })
  await sandboxed.body.text()
  assert.equal(sandboxed.headers['access-control-allow-origin'], undefined)
})

test('cors: false turns CORS off for a route: no headers, and OPTIONS goes to the upstream', async () => {
  const res = await request(gw.url + '/internal', { headers: { origin: 'https://app.example.com' } })
  await res.body.text()
  assert.equal(res.headers['access-control-allow-origin'], undefined)
  assert.equal(res.headers.vary, undefined)

  const before = optionsSeenBy('/internal')
  const pre = await preflight('/internal', 'https://app.example.com')
  assert.equal(pre.statusCode, 200)
  await pre.body.text()
  assert.equal(pre.headers['access-control-allow-origin'], undefined)
  assert.equal(optionsSeenBy('/internal'), before + 1)
})

test('an OPTIONS request that is not a preflight is proxied, with CORS headers for an allowed origin', async () => {
  const before = optionsSeenBy('/open')
  const plain = await request(gw.url + '/open', { method: 'OPTIONS' })
  assert.equal(plain.statusCode, 200)
  await plain.body.text()
  const withOrigin = await request(gw.url + '/open', { method: 'OPTIONS', headers: { origin: 'https://anyone.test' } })
  assert.equal(withOrigin.statusCode, 200)
  await withOrigin.body.text()
  assert.equal(withOrigin.headers['access-control-allow-origin'], '*')
  assert.equal(optionsSeenBy('/open'), before + 2)
})

test('the upstream\'s own Vary is kept alongside Vary: Origin', async () => {
  const varying = await startBackend((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', vary: 'Accept-Language' })
    res.end('hello')
  })
  const own = await startGateway(`${BASE}
security: { cors: { origins: ["https://app.example.com"] } }
upstreams:
  app: { targets: [{ url: ${varying.url} }] }
routes:
  - { name: all, match: { path: / }, upstream: app }
`)
  try {
    const res = await request(own.url + '/', { headers: { origin: 'https://app.example.com' } })
    assert.equal(await res.body.text(), 'hello')
    const vary = String(res.headers.vary).toLowerCase().split(/\s*,\s*/)
    assert.ok(vary.includes('accept-language'), String(res.headers.vary))
    assert.ok(vary.includes('origin'), String(res.headers.vary))
  } finally {
    await own.close()
    await varying.close()
  }
})

test('the gateway\'s own error on a CORS route carries the CORS headers, so the browser can read it', async () => {
  const res = await request(gw.url + '/broken', { headers: { origin: 'https://app.example.com' } })
  assert.equal(res.statusCode, 502)
  const body = JSON.parse(await res.body.text()) as { code: string }
  assert.equal(typeof body.code, 'string')
  assert.equal(res.headers['access-control-allow-origin'], 'https://app.example.com')
  assert.equal(res.headers['access-control-allow-credentials'], 'true')
})

test('origin patterns: scheme-less wildcards take http and https, ports must match, a trailing slash is ignored', () => {
  const allows = compileOrigins(['*.example.com', 'https://*.example.net:8443', 'https://exact.test/'], false)
  assert.equal(allows('https://a.example.com'), true)
  assert.equal(allows('http://a.example.com'), true)
  assert.equal(allows('ftp://a.example.com'), false)
  assert.equal(allows('https://a.example.com:444'), false)
  assert.equal(allows('https://a.example.net:8443'), true)
  assert.equal(allows('https://a.example.net'), false)
  assert.equal(allows('https://exact.test'), true)
  assert.equal(allows('https://a.exact.test'), false)
  assert.equal(compileOrigins(['*'], false)('null'), true)
  assert.equal(compileOrigins(['*'], true)('null'), false)
})
