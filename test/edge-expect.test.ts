// Expect: 100-continue. The client sends headers, waits for `100 Continue`, then the
// body. The gateway says 100 only once the request is going upstream, so an upload that
// is refused (too large, no route) gets its final status straight away, as with nginx.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startBackend, type Backend } from './helpers/backend.js'
import { Conversation, edgeYaml } from './helpers/edge-socket.js'
import { startGateway, type TestGateway } from './helpers/gateway.js'

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n'

let backend: Backend
let gw: TestGateway

before(async () => {
  backend = await startBackend()
  gw = await startGateway(edgeYaml('bodyLimit: 1kb', `
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: /upload }, upstream: app }
`))
})

after(async () => {
  await gw.close()
  await backend.close()
})

test('Expect: 100-continue gets 100 Continue, then the body goes upstream', async () => {
  const before = backend.seen.length
  const c = await Conversation.open(gw.port)
  await c.write('POST /upload HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n')
  await c.until(CONTINUE)
  await c.write('hello')
  const res = await c.closed
  assert.ok(res.raw.startsWith(CONTINUE))
  assert.match(res.raw.slice(CONTINUE.length), /^HTTP\/1\.1 200 /)
  const seen = backend.seen.slice(before)
  assert.equal(seen.length, 1)
  assert.equal(seen[0]?.bodyBytes, 5)
  assert.equal(seen[0]?.headers.expect, undefined, 'Expect is hop-by-hop: the gateway answered it')
})

test('Expect: 100-continue works for a chunked upload', async () => {
  const before = backend.seen.length
  const c = await Conversation.open(gw.port)
  await c.write('POST /upload HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n')
  await c.until(CONTINUE)
  await c.write('5\r\nhello\r\n0\r\n\r\n')
  const res = await c.closed
  assert.match(res.raw.slice(CONTINUE.length), /^HTTP\/1\.1 200 /)
  assert.equal(backend.seen.slice(before)[0]?.bodyBytes, 5)
})

test('Expect: 100-continue with a Content-Length over bodyLimit is 413 without a 100 first', async () => {
  const before = backend.seen.length
  const c = await Conversation.open(gw.port)
  // No body is ever sent: a gateway that waits for it (or says 100) fails here.
  await c.write('POST /upload HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 2000\r\nExpect: 100-continue\r\n\r\n')
  const res = await c.closed
  assert.equal(res.status, 413)
  assert.ok(!res.raw.includes('100 Continue'), res.raw)
  assert.match(res.body, /"code":"TURNPIKE_BODY_TOO_LARGE"/)
  assert.equal(backend.seen.length, before)
})

test('Expect: 100-continue on a path with no route is 404 without a 100, and the connection closes', async () => {
  const before = backend.seen.length
  const c = await Conversation.open(gw.port)
  await c.write('POST /nowhere HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n')
  // The body was never asked for, so the connection cannot be reused: it must close.
  const res = await c.closed
  assert.equal(res.status, 404)
  assert.ok(!res.raw.includes('100 Continue'), res.raw)
  assert.equal(backend.seen.length, before)
})

test('an expectation other than 100-continue is 417 and nothing goes upstream', async () => {
  const before = backend.seen.length
  const c = await Conversation.open(gw.port)
  await c.write('POST /upload HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 5\r\nExpect: something-else\r\nConnection: close\r\n\r\nhello')
  const res = await c.closed
  assert.equal(res.status, 417)
  assert.equal(backend.seen.length, before)
})
