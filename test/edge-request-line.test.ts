// Request lines and headers that llhttp accepts but an upstream must never see as
// they are: no HTTP version (HTTP/0.9), HTTP/2.0 over HTTP/1, an over-long request
// line, percent-encoding that is not UTF-8, a Content-Type Fastify cannot parse,
// HTTP/1.0 without Host, and the URL and method override headers.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startBackend, type Backend } from './helpers/backend.js'
import { Conversation, edgeYaml } from './helpers/edge-socket.js'
import { startGateway, type TestGateway } from './helpers/gateway.js'
import { rawRequest, type RawResponse } from './helpers/raw.js'

let a: Backend
let gw: TestGateway

before(async () => {
  a = await startBackend()
  gw = await startGateway(edgeYaml('maxHeaderSize: 4kb', `
upstreams:
  a: { targets: [{ url: ${a.url} }] }
routes:
  - { name: open, match: { path: / }, upstream: a }
  - name: legacy
    match: { path: /legacy }
    upstream: a
    allowOverrideHeaders: [X-HTTP-Method-Override]
`))
})

after(async () => {
  await gw.close()
  await a.close()
})

/** Sends raw bytes; the answer and what reached the upstream. */
async function probe (raw: string): Promise<{ res: RawResponse, forwarded: typeof a.seen }> {
  const before = a.seen.length
  const res = await rawRequest(gw.port, raw)
  return { res, forwarded: a.seen.slice(before) }
}

function answers (raw: string): number {
  return (raw.match(/HTTP\/1\.1 \d{3} /g) ?? []).length
}

async function counted (status: number): Promise<number> {
  const metric = await gw.gateway.metrics.requestsTotal.get()
  return metric.values.filter((v) => (v.labels as { status?: string }).status === String(status)).reduce((sum, v) => sum + v.value, 0)
}

test('a request line without an HTTP version (HTTP/0.9) is 400 and never forwarded', async () => {
  for (const line of ['GET /x\r\n\r\n', 'GET /x\r\nHost: gw.test\r\n\r\n']) {
    const { res, forwarded } = await probe(line)
    assert.equal(res.status, 400, res.raw)
    assert.match(res.body, /"code":"TURNPIKE_BAD_REQUEST"/)
    assert.equal(forwarded.length, 0, JSON.stringify(line))
  }
})

test('HTTP/2.0 in an HTTP/1 request line is 505, the connection closes and nothing is forwarded', async () => {
  const { res, forwarded } = await probe('GET /x HTTP/2.0\r\nHost: gw.test\r\n\r\nGET /y HTTP/1.1\r\nHost: gw.test\r\n\r\n')
  assert.equal(res.status, 505, res.raw)
  assert.match(res.body, /"code":"TURNPIKE_HTTP_VERSION_NOT_SUPPORTED"/)
  assert.match(res.head, /connection: close/i)
  assert.equal(answers(res.raw), 1)
  assert.equal(forwarded.length, 0)
})

test('an over-long request line is 414, over-long headers are 431, and both are counted', async () => {
  const before414 = await counted(414)
  const before431 = await counted(431)
  const longLine = await probe(`GET /${'a'.repeat(8000)} HTTP/1.1\r\nHost: gw.test\r\n\r\n`)
  assert.equal(longLine.res.status, 414, longLine.res.raw.slice(0, 200))
  assert.match(longLine.res.body, /"code":"TURNPIKE_URI_TOO_LONG"/)
  const behind = await probe(`GET /ok HTTP/1.1\r\nHost: gw.test\r\n\r\nGET /${'a'.repeat(8000)} HTTP/1.1\r\nHost: gw.test\r\n\r\n`)
  // Behind an answer in flight the bad bytes are never a request: that answer, then close.
  assert.deepEqual([...behind.res.raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]), ['200'])
  assert.deepEqual(behind.forwarded.map((s) => s.url), ['/ok'])
  const longHeader = await probe(`GET /x HTTP/1.1\r\nHost: gw.test\r\nX-Big: ${'b '.repeat(4000)}\r\n\r\n`)
  assert.equal(longHeader.res.status, 431, longHeader.res.raw.slice(0, 200))
  assert.equal(longLine.forwarded.length + longHeader.forwarded.length, 0)
  assert.equal(await counted(414), before414 + 1)
  assert.equal(await counted(431), before431 + 1)
})

test('an over-long request line that arrives in many writes is 414 as well', async () => {
  const c = await Conversation.open(gw.port)
  await c.write('GET /')
  for (let i = 0; i < 8; i++) await c.write('a'.repeat(1000))
  await c.write(' HTTP/1.1\r\nHost: gw.test\r\n\r\n').catch(() => undefined) // the gateway may have hung up already
  const res = await c.closed
  assert.equal(res.status, 414, res.raw.slice(0, 200))
})

for (const path of ['/x%ff', '/x%c0%ae', '/%e2%82']) {
  test(`percent-encoding that is not UTF-8 (${path}) is a bad path: 400, x-request-id, connection closed`, async () => {
    const { res, forwarded } = await probe(`GET ${path} HTTP/1.1\r\nHost: gw.test\r\n\r\nGET /after HTTP/1.1\r\nHost: gw.test\r\n\r\n`)
    assert.equal(res.status, 400, res.raw)
    assert.match(res.body, /"code":"TURNPIKE_BAD_PATH"/)
    assert.match(res.head, /x-request-id: /i)
    assert.match(res.head, /connection: close/i)
    assert.equal(answers(res.raw), 1, 'the pipelined request is not served')
    assert.equal(forwarded.length, 0)
  })
}

test('valid UTF-8 percent-encoding still passes', async () => {
  const { res, forwarded } = await probe('GET /caf%C3%A9 HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n')
  assert.equal(res.status, 200, res.raw)
  assert.equal(forwarded[0]?.url, '/caf%C3%A9')
})

for (const type of [';;;', 'text', '/json', 'a/b/c', 'text/plain;', '']) {
  test(`a Content-Type Fastify cannot parse (${JSON.stringify(type)}) is passed on with the body`, async () => {
    const { res, forwarded } = await probe(`POST /x HTTP/1.1\r\nHost: gw.test\r\nContent-Type: ${type}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`)
    assert.equal(res.status, 200, res.raw)
    assert.equal(forwarded.length, 1)
    assert.equal(forwarded[0]?.headers['content-type'], type)
    assert.equal(forwarded[0]?.bodyBytes, 5)
  })
}

test('an HTTP/1.0 request without Host is forwarded without an empty X-Forwarded-Host', async () => {
  const { res, forwarded } = await probe('GET /x HTTP/1.0\r\n\r\n')
  assert.equal(res.status, 200, res.raw)
  assert.equal(forwarded.length, 1)
  assert.equal(forwarded[0]?.headers['x-forwarded-host'], undefined)
  const withHost = await probe('GET /x HTTP/1.0\r\nHost: gw.test\r\n\r\n')
  assert.equal(withHost.forwarded[0]?.headers['x-forwarded-host'], 'gw.test')
})

const OVERRIDES = 'X-Original-URL: /admin\r\nX-Rewrite-URL: /admin\r\nX-HTTP-Method-Override: DELETE\r\nX-Method-Override: DELETE\r\n'

test('URL and method override headers are removed before forwarding', async () => {
  const { res, forwarded } = await probe(`GET /x HTTP/1.1\r\nHost: gw.test\r\n${OVERRIDES}Connection: close\r\n\r\n`)
  assert.equal(res.status, 200, res.raw)
  const sent = forwarded[0]?.headers ?? {}
  for (const name of ['x-original-url', 'x-rewrite-url', 'x-http-method-override', 'x-method-override']) {
    assert.equal(sent[name], undefined, `${name} reached the upstream`)
  }
})

test('a route with allowOverrideHeaders forwards exactly the ones it names', async () => {
  const { forwarded } = await probe(`GET /legacy HTTP/1.1\r\nHost: gw.test\r\n${OVERRIDES}Connection: close\r\n\r\n`)
  const sent = forwarded[0]?.headers ?? {}
  assert.equal(sent['x-http-method-override'], 'DELETE')
  assert.equal(sent['x-method-override'], undefined)
  assert.equal(sent['x-original-url'], undefined)
})
