// Client-sent forwarding headers are believed only from peers that server.trustProxy
// trusts. From an untrusted peer: X-Real-IP is the peer, Forwarded is dropped, and
// X-Forwarded-For keeps the chain with the peer appended (nginx's
// $proxy_add_x_forwarded_for), X-Forwarded-Proto/Host are the gateway's own. The
// trusted side is test/edge-forwarded-trusted.test.ts (one gateway per process).
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startBackend, type Backend, type SeenRequest } from './helpers/backend.js'
import { edgeYaml } from './helpers/edge-socket.js'
import { startGateway, type TestGateway } from './helpers/gateway.js'
import { rawRequest } from './helpers/raw.js'

let backend: Backend
let untrusting: TestGateway

const ROUTES = (url: string): string => `
upstreams:
  app: { targets: [{ url: ${url} }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`

before(async () => {
  backend = await startBackend()
  untrusting = await startGateway(edgeYaml('', ROUTES(backend.url)))
})

after(async () => {
  await untrusting.close()
  await backend.close()
})

const SPOOFED = 'X-Forwarded-For: 203.0.113.9\r\nX-Real-IP: 203.0.113.9\r\nForwarded: for=203.0.113.9;proto=https\r\n' +
  'X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n'

async function through (gw: TestGateway, headerLines: string): Promise<SeenRequest> {
  const before = backend.seen.length
  const res = await rawRequest(gw.port, `GET /x HTTP/1.1\r\nHost: gw.test\r\n${headerLines}Connection: close\r\n\r\n`)
  assert.equal(res.status, 200, res.raw)
  assert.equal(backend.seen.length, before + 1)
  return backend.seen.at(-1) as SeenRequest
}

test('untrusted peer: X-Real-IP is the peer, not the client-sent one', async () => {
  const seen = await through(untrusting, SPOOFED)
  assert.equal(seen.headers['x-real-ip'], '127.0.0.1')
})

test('untrusted peer: X-Forwarded-For keeps the client chain and appends the peer', async () => {
  const seen = await through(untrusting, SPOOFED)
  assert.equal(seen.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1')
})

test('untrusted peer: a client-sent Forwarded header is dropped', async () => {
  const seen = await through(untrusting, SPOOFED)
  assert.equal(seen.headers.forwarded, undefined)
})

test('untrusted peer: X-Forwarded-Proto and X-Forwarded-Host are the gateway\'s own', async () => {
  const seen = await through(untrusting, SPOOFED)
  assert.equal(seen.headers['x-forwarded-proto'], 'http')
  assert.equal(seen.headers['x-forwarded-host'], 'gw.test')
})

test('untrusted peer: duplicate X-Real-IP / X-Forwarded-For headers change nothing', async () => {
  const seen = await through(untrusting, `${SPOOFED}X-Real-IP: 198.51.100.1\r\nX-Forwarded-For: 198.51.100.1\r\n`)
  assert.equal(seen.headers['x-real-ip'], '127.0.0.1')
  assert.match(String(seen.headers['x-forwarded-for']), /, 127\.0\.0\.1$/)
})

test('without X-Forwarded-For the peer alone is sent', async () => {
  const seen = await through(untrusting, '')
  assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1')
  assert.equal(seen.headers['x-real-ip'], '127.0.0.1')
})
