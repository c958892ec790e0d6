// End to end through a real gateway to real backends: forwarding, rewriting, headers,
// and the error statuses of docs/operations.md.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend, type SeenRequest } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

let backend: Backend
let silent: Backend
let gw: TestGateway

before(async () => {
  backend = await startBackend()
  // Accepts the request and never answers: for the route timeout.
  silent = await startBackend(() => undefined)
  gw = await startGateway(`${BASE}
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
  slow: { targets: [{ url: ${silent.url} }] }
  dead: { targets: [{ url: http://127.0.0.1:1 }] }
routes:
  - name: users
    match: { path: /api/users }
    upstream: app
    stripPrefix: true
    headers:
      request: { set: { x-gateway: turnpike }, remove: [x-internal] }
      response: { set: { x-served-by: turnpike }, remove: [x-powered-by] }
  - name: v1
    match: { path: /v1 }
    upstream: app
    rewrite: /v2
  - name: readonly
    match: { path: /ro, methods: [GET] }
    upstream: app
  - name: slow
    match: { path: /slow }
    upstream: slow
    timeout: 300ms
  - name: dead
    match: { path: /dead }
    upstream: dead
  - name: kept-host
    match: { path: /keep }
    upstream: app
    preserveHost: true
`)
})

after(async () => {
  await gw.close()
  await backend.close()
  await silent.close()
})

async function get (path: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await request(gw.url + path, { method: method as 'GET', headers })
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> }
}

test('forwards with stripPrefix, keeps the query, edits headers both ways', async () => {
  const res = await get('/api/users/7?sort=name&x=%2F', { 'x-internal': 'secret' })
  assert.equal(res.status, 200)
  const seen = res.json() as unknown as SeenRequest
  assert.equal(seen.url, '/7?sort=name&x=%2F')
  assert.equal(seen.headers['x-gateway'], 'turnpike')
  assert.equal(seen.headers['x-internal'], undefined)
  assert.equal(res.headers['x-served-by'], 'turnpike')
})

test('rewrite replaces the matched prefix', async () => {
  const seen = (await get('/v1/items/3')).json() as unknown as SeenRequest
  assert.equal(seen.url, '/v2/items/3')
})

test('X-Forwarded-* are set and the peer is appended to X-Forwarded-For', async () => {
  const seen = (await get('/api/users', { 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '203.0.113.9' })).json() as unknown as SeenRequest
  assert.equal(seen.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1')
  assert.equal(seen.headers['x-real-ip'], '127.0.0.1', 'an untrusted peer cannot choose the client IP')
  assert.equal(seen.headers['x-forwarded-proto'], 'http')
  assert.equal(seen.headers['x-forwarded-host'], `127.0.0.1:${gw.port}`)
  assert.equal(seen.headers.host, new URL(backend.url).host)
})

test('preserveHost sends the client Host upstream', async () => {
  const seen = (await get('/keep', { host: 'api.example.com' })).json() as unknown as SeenRequest
  assert.equal(seen.headers.host, 'api.example.com')
})

test('a valid X-Request-Id is kept end to end; an invalid one is replaced', async () => {
  const kept = await get('/api/users', { 'x-request-id': 'abc-123.x_y' })
  assert.equal(kept.headers['x-request-id'], 'abc-123.x_y')
  assert.equal((kept.json() as unknown as SeenRequest).headers['x-request-id'], 'abc-123.x_y')
  const replaced = await get('/api/users', { 'x-request-id': 'bad id!' })
  assert.match(String(replaced.headers['x-request-id']), /^[0-9a-f-]{36}$/)
})

test('no route is a JSON 404 in the error shape', async () => {
  const res = await get('/nowhere')
  assert.equal(res.status, 404)
  const body = res.json()
  assert.equal(body.statusCode, 404)
  assert.equal(body.error, 'Not Found')
  assert.equal(body.code, 'TURNPIKE_NO_ROUTE')
  assert.equal(body.requestId, res.headers['x-request-id'])
})

test('a method the route does not take is 405 with Allow', async () => {
  const res = await get('/ro/1', {}, 'DELETE')
  assert.equal(res.status, 405)
  assert.equal(res.headers.allow, 'GET, HEAD')
})

test('an upstream that refuses the connection is 502', async () => {
  const res = await get('/dead')
  assert.equal(res.status, 502)
  assert.equal(res.json().code, 'TURNPIKE_BAD_GATEWAY')
})

test('an upstream slower than the route timeout is 504', async () => {
  const res = await get('/slow')
  assert.equal(res.status, 504)
  assert.equal(res.json().code, 'TURNPIKE_GATEWAY_TIMEOUT')
})

test('HEAD is forwarded as HEAD', async () => {
  const before = backend.seen.length
  const res = await get('/api/users/1', {}, 'HEAD')
  assert.equal(res.status, 200)
  assert.equal(backend.seen[before]?.method, 'HEAD')
})
