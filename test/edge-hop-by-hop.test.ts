// Hop-by-hop headers (RFC 9110 §7.6.1) stop at the gateway in both directions and
// never turn a request into a 5xx: Connection and every header it names, Keep-Alive,
// TE, Trailer, Upgrade, Proxy-*. Raw sockets, so the client sends exactly these bytes.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startBackend, type Backend, type SeenRequest } from './helpers/backend.js'
import { edgeYaml } from './helpers/edge-socket.js'
import { startGateway, type TestGateway } from './helpers/gateway.js'
import { rawRequest } from './helpers/raw.js'

let backend: Backend
let hoppy: Backend
let gw: TestGateway

before(async () => {
  backend = await startBackend()
  // An upstream that answers with hop-by-hop headers of its own.
  hoppy = await startBackend((_req, res) => {
    res.writeHead(200, {
      connection: 'keep-alive, x-upstream-hop',
      'x-upstream-hop': 'secret',
      'keep-alive': 'timeout=5',
      'proxy-authenticate': 'Basic realm="upstream"',
      'x-end-to-end': 'kept',
      'content-length': '2'
    })
    res.end('ok')
  })
  gw = await startGateway(edgeYaml('', `
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
  hoppy: { targets: [{ url: ${hoppy.url} }] }
routes:
  - { name: app, match: { path: /app }, upstream: app }
  - { name: hoppy, match: { path: /hoppy }, upstream: hoppy }
`))
})

after(async () => {
  await gw.close()
  await backend.close()
  await hoppy.close()
})

/** Sends one GET /app with these extra header lines; returns the answer and what the backend saw. */
async function send (headerLines: string): Promise<{ status: number, head: string, seen: SeenRequest[] }> {
  const before = backend.seen.length
  const res = await rawRequest(gw.port, `GET /app/x HTTP/1.1\r\nHost: gw.test\r\n${headerLines}\r\n`)
  return { status: res.status, head: res.head, seen: backend.seen.slice(before) }
}

function only (seen: SeenRequest[]): SeenRequest {
  assert.equal(seen.length, 1, 'exactly one request reached the backend')
  return seen[0] as SeenRequest
}

test('Connection: close, foo removes Foo on the way upstream', async () => {
  const res = await send('Connection: close, foo\r\nFoo: bar\r\nX-Kept: yes\r\n')
  assert.equal(res.status, 200)
  const seen = only(res.seen)
  assert.equal(seen.headers.foo, undefined)
  assert.equal(seen.headers['x-kept'], 'yes')
  assert.ok(!seen.rawHeaders.some((h) => h.toLowerCase() === 'foo'))
})

test('Connection-named headers are matched case-insensitively', async () => {
  const res = await send('Connection: Close, X-Secret-Hop\r\nx-secret-hop: 1\r\n')
  assert.equal(res.status, 200)
  assert.equal(only(res.seen).headers['x-secret-hop'], undefined)
})

test('naming the gateway\'s own headers in Connection does not remove them', async () => {
  const res = await send('Connection: close, X-Forwarded-For, X-Real-IP, X-Request-Id, Host\r\nX-Forwarded-For: 203.0.113.9\r\n')
  assert.equal(res.status, 200)
  const seen = only(res.seen)
  assert.equal(seen.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1')
  assert.equal(seen.headers['x-real-ip'], '127.0.0.1')
  assert.match(String(seen.headers['x-request-id']), /^[0-9a-f-]{36}$/)
  assert.equal(seen.headers.host, new URL(backend.url).host)
})

test('naming Content-Length in Connection neither breaks the body nor the framing upstream', async () => {
  const before = backend.seen.length
  const res = await rawRequest(gw.port, 'POST /app/x HTTP/1.1\r\nHost: gw.test\r\nConnection: close, Content-Length\r\nContent-Length: 5\r\n\r\nhello')
  assert.equal(res.status, 200)
  const seen = only(backend.seen.slice(before))
  assert.equal(seen.bodyBytes, 5)
})

test('Keep-Alive never reaches the upstream', async () => {
  const res = await send('Keep-Alive: timeout=5, max=100\r\nConnection: close\r\n')
  assert.equal(res.status, 200)
  assert.equal(only(res.seen).headers['keep-alive'], undefined)
})

test('TE: trailers is dropped and is not a 5xx', async () => {
  const res = await send('TE: trailers\r\nConnection: close, TE\r\n')
  assert.equal(res.status, 200)
  assert.equal(only(res.seen).headers.te, undefined)
})

test('Trailer is dropped', async () => {
  const res = await send('Trailer: x-checksum\r\nConnection: close\r\n')
  assert.equal(res.status, 200)
  assert.equal(only(res.seen).headers.trailer, undefined)
})

test('Proxy-Authorization never reaches the upstream', async () => {
  const res = await send('Proxy-Authorization: Basic dXNlcjpwYXNz\r\nConnection: close\r\n')
  assert.equal(res.status, 200)
  assert.equal(only(res.seen).headers['proxy-authorization'], undefined)
})

test('Proxy-Connection never reaches the upstream', async () => {
  const res = await send('Proxy-Connection: keep-alive\r\nConnection: close\r\n')
  assert.equal(res.status, 200)
  assert.equal(only(res.seen).headers['proxy-connection'], undefined)
})

test('Upgrade: websocket on a non-websocket route is an ordinary request: no 101, no Upgrade upstream', async () => {
  const res = await send('Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n')
  assert.equal(res.status, 200)
  const seen = only(res.seen)
  assert.equal(seen.headers.upgrade, undefined)
  assert.doesNotMatch(String(seen.headers.connection), /upgrade/i)
  assert.doesNotMatch(res.head, /^upgrade:/im)
})

test('Upgrade: h2c with HTTP2-Settings is an ordinary request and both are dropped', async () => {
  const res = await send('Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n')
  assert.equal(res.status, 200)
  const seen = only(res.seen)
  assert.equal(seen.headers.upgrade, undefined)
  assert.equal(seen.headers['http2-settings'], undefined)
})

test('the upstream\'s hop-by-hop response headers never reach the client; end-to-end ones do', async () => {
  const res = await rawRequest(gw.port, 'GET /hoppy HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n')
  assert.equal(res.status, 200)
  assert.match(res.head, /^x-end-to-end: kept$/im)
  assert.doesNotMatch(res.head, /^x-upstream-hop:/im)
  assert.doesNotMatch(res.head, /^keep-alive:/im)
  assert.doesNotMatch(res.head, /^proxy-authenticate:/im)
  assert.doesNotMatch(res.head, /x-upstream-hop/i, 'not even named in the Connection header')
})
