// Host and header limits at the edge: a missing or duplicate Host is 400, a malformed
// one too; more than server.maxHeaderCount headers or more than server.maxHeaderSize
// bytes of them is 431, never a silent truncation, and nothing reaches the upstream.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startBackend, type Backend, type SeenRequest } from './helpers/backend.js'
import { edgeYaml } from './helpers/edge-socket.js'
import { startGateway, type TestGateway } from './helpers/gateway.js'
import { rawRequest, type RawResponse } from './helpers/raw.js'

let backend: Backend
let gw: TestGateway

before(async () => {
  backend = await startBackend()
  // The defaults, spelled out: 100 headers, 16 KiB of them.
  gw = await startGateway(edgeYaml('maxHeaderCount: 100, maxHeaderSize: 16kb', `
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`))
})

after(async () => {
  await gw.close()
  await backend.close()
})

async function send (raw: string): Promise<{ res: RawResponse, seen: SeenRequest[] }> {
  const before = backend.seen.length
  const res = await rawRequest(gw.port, raw)
  return { res, seen: backend.seen.slice(before) }
}

function headerLines (count: number, size = 1): string {
  let out = ''
  for (let i = 0; i < count; i++) out += `X-H${i}: ${'v'.repeat(size)}\r\n`
  return out
}

test('HTTP/1.1 without Host is 400 and nothing reaches the upstream', async () => {
  const { res, seen } = await send('GET /x HTTP/1.1\r\nConnection: close\r\n\r\n')
  assert.equal(res.status, 400)
  assert.match(res.body, /Missing Host/)
  assert.equal(seen.length, 0)
})

test('HTTP/1.0 without Host is allowed', async () => {
  const { res, seen } = await send('GET /x HTTP/1.0\r\n\r\n')
  assert.equal(res.status, 200)
  assert.equal(seen.length, 1)
  assert.equal(seen[0]?.url, '/x')
})

test('two Host headers are 400 and nothing reaches the upstream', async () => {
  const { res, seen } = await send('GET /x HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n')
  assert.equal(res.status, 400)
  assert.match(res.body, /Duplicate Host/)
  assert.equal(seen.length, 0)
})

test('two identical Host headers are 400 as well', async () => {
  const { res, seen } = await send('GET /x HTTP/1.1\r\nHost: a.example\r\nhost: a.example\r\nConnection: close\r\n\r\n')
  assert.equal(res.status, 400)
  assert.equal(seen.length, 0)
})

test('a Host with a path, userinfo or backslash is 400', async () => {
  for (const host of ['evil.example/admin', 'user@evil.example', 'evil.example\\x', 'a..example', 'evil.example:80x']) {
    const { res, seen } = await send(`GET /x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
    assert.equal(res.status, 400, host)
    assert.equal(seen.length, 0, host)
  }
})

test('a Host with a port, an IPv6 literal or an empty Host is fine', async () => {
  for (const host of ['gw.example:8080', '[::1]:8080', '127.0.0.1', '']) {
    const { res, seen } = await send(`GET /x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
    assert.equal(res.status, 200, host)
    assert.equal(seen.length, 1, host)
  }
})

test('exactly maxHeaderCount headers pass, every one of them reaches the upstream', async () => {
  // Host + Connection + 98 more = 100.
  const { res, seen } = await send(`GET /x HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n${headerLines(98)}\r\n`)
  assert.equal(res.status, 200)
  assert.equal(seen.length, 1)
  assert.equal(seen[0]?.headers['x-h0'], 'v')
  assert.equal(seen[0]?.headers['x-h97'], 'v', 'the last header was not truncated')
})

test('one header more than maxHeaderCount is 431 and nothing reaches the upstream', async () => {
  const { res, seen } = await send(`GET /x HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n${headerLines(99)}\r\n`)
  assert.equal(res.status, 431)
  assert.match(res.body, /"code":"TURNPIKE_HEADERS_TOO_LARGE"/)
  assert.equal(seen.length, 0)
})

test('far more headers than maxHeaderCount is 431, not a truncated request', async () => {
  const { res, seen } = await send(`GET /x HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n${headerLines(500)}\r\n`)
  assert.equal(res.status, 431)
  assert.equal(seen.length, 0)
})

test('one header larger than maxHeaderSize is 431 in the JSON error shape and nothing reaches the upstream', async () => {
  const { res, seen } = await send(`GET /x HTTP/1.1\r\nHost: gw.test\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\nConnection: close\r\n\r\n`)
  assert.equal(res.status, 431)
  const body = JSON.parse(res.body) as Record<string, unknown>
  assert.equal(body.statusCode, 431)
  assert.equal(body.code, 'TURNPIKE_HEADERS_TOO_LARGE')
  assert.equal(seen.length, 0)
})

test('many headers that together pass maxHeaderSize are 431', async () => {
  // 50 headers of 400 bytes: under the count limit, over 16 KiB in total.
  const { res, seen } = await send(`GET /x HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n${headerLines(50, 400)}\r\n`)
  assert.equal(res.status, 431)
  assert.equal(seen.length, 0)
})
