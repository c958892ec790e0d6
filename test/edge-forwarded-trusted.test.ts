// Client-sent forwarding headers from a peer that server.trustProxy trusts: the
// rightmost untrusted X-Forwarded-For entry is the client (X-Real-IP), and the peer's
// Forwarded header is passed on. The untrusted side is test/edge-forwarded.test.ts.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startBackend, type Backend, type SeenRequest } from './helpers/backend.js'
import { edgeYaml } from './helpers/edge-socket.js'
import { startGateway, type TestGateway } from './helpers/gateway.js'
import { rawRequest } from './helpers/raw.js'

let backend: Backend
let trusting: TestGateway

const ROUTES = (url: string): string => `
upstreams:
  app: { targets: [{ url: ${url} }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`

before(async () => {
  backend = await startBackend()
  trusting = await startGateway(edgeYaml('trustProxy: [127.0.0.1/32]', ROUTES(backend.url)))
})

after(async () => {
  await trusting.close()
  await backend.close()
})

async function through (gw: TestGateway, headerLines: string): Promise<SeenRequest> {
  const before = backend.seen.length
  const res = await rawRequest(gw.port, `GET /x HTTP/1.1\r\nHost: gw.test\r\n${headerLines}Connection: close\r\n\r\n`)
  assert.equal(res.status, 200, res.raw)
  assert.equal(backend.seen.length, before + 1)
  return backend.seen.at(-1) as SeenRequest
}

test('trusted peer (trustProxy: [127.0.0.1/32]): the client\'s X-Forwarded-For entry becomes X-Real-IP', async () => {
  const seen = await through(trusting, 'X-Forwarded-For: 203.0.113.9\r\n')
  assert.equal(seen.headers['x-real-ip'], '203.0.113.9')
  assert.equal(seen.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1')
})

test('trusted peer: the rightmost untrusted X-Forwarded-For entry is the client, not the leftmost', async () => {
  const seen = await through(trusting, 'X-Forwarded-For: 198.51.100.1, 203.0.113.9\r\n')
  assert.equal(seen.headers['x-real-ip'], '203.0.113.9')
})

test('trusted peer: its Forwarded header is passed on', async () => {
  const seen = await through(trusting, 'Forwarded: for=203.0.113.9;proto=https\r\n')
  assert.equal(seen.headers.forwarded, 'for=203.0.113.9;proto=https')
})
