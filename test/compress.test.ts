// Response compression (route compress: true): br or gzip by Accept-Encoding above
// 1 KiB; never under it, never without Accept-Encoding, never for SSE or bodies the
// upstream already encoded, never on routes without compress. undici's request() hands
// over the raw bytes (it does not decompress), so the tests decompress themselves.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { ServerResponse } from 'node:http'
import { after, before, test } from 'node:test'
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

const LARGE = Buffer.from(JSON.stringify({ items: Array.from({ length: 300 }, (_, i) => ({ id: i, name: `item ${i}` })) }))
const SMALL = Buffer.from(JSON.stringify({ ok: true, note: 'x'.repeat(900) })) // just under 1 KiB
const GZIPPED = gzipSync(LARGE)

let backend: Backend
let gw: TestGateway
/** The open SSE responses, for the test to finish once it has seen the first event. */
const events: ServerResponse[] = []
const eventWaiters: Array<(res: ServerResponse) => void> = []

before(async () => {
  assert.ok(SMALL.length < 1024 && LARGE.length > 1024)
  backend = await startBackend((req, res) => {
    const path = (req.url ?? '').replace(/^\/(c|plain)/, '')
    if (path === '/large.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': LARGE.length })
      res.end(LARGE)
    } else if (path === '/small.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': SMALL.length })
      res.end(SMALL)
    } else if (path === '/streamed.json') {
      res.writeHead(200, { 'content-type': 'application/json' }) // chunked: length unknown
      res.write(SMALL.subarray(0, 10))
      res.end(SMALL.subarray(10))
    } else if (path === '/gzipped.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': GZIPPED.length })
      res.end(GZIPPED)
    } else if (path === '/empty') {
      res.writeHead(204)
      res.end()
    } else if (path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      res.write(`data: ${'e'.repeat(2000)}\n\n`)
      const waiter = eventWaiters.shift()
      if (waiter !== undefined) waiter(res)
      else events.push(res)
    } else {
      res.writeHead(404)
      res.end()
    }
  })
  gw = await startGateway(`${BASE}
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: compressed, match: { path: /c }, upstream: app, compress: true }
  - { name: plain, match: { path: /plain }, upstream: app }
`)
})

after(async () => {
  await gw.close()
  await backend.close()
})

async function get (path: string, acceptEncoding?: string, method = 'GET') {
  const res = await request(gw.url + path, { method, headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } })
  const body = Buffer.from(await res.body.arrayBuffer())
  return { status: res.statusCode, headers: res.headers, body }
}

function varies (headers: Record<string, string | string[] | undefined>): boolean {
  return /\baccept-encoding\b/i.test(String(headers.vary))
}

test('a large JSON body is gzipped for a gzip client', async () => {
  const res = await get('/c/large.json', 'gzip')
  assert.equal(res.status, 200)
  assert.equal(res.headers['content-encoding'], 'gzip')
  assert.ok(varies(res.headers))
  assert.ok(res.body.length < LARGE.length)
  assert.deepEqual(gunzipSync(res.body), LARGE)
})

test('a large JSON body is brotli-compressed for a br client', async () => {
  const res = await get('/c/large.json', 'br')
  assert.equal(res.headers['content-encoding'], 'br')
  assert.ok(varies(res.headers))
  assert.deepEqual(brotliDecompressSync(res.body), LARGE)
})

test('the encoding follows the client\'s q-values, br on a tie', async () => {
  const cases: Array<[string, string | undefined]> = [
    ['gzip, deflate, br', 'br'],
    ['gzip;q=1, br;q=0.5', 'gzip'],
    ['br;q=0.2, gzip;q=0.1', 'br'],
    ['br;q=0, gzip', 'gzip'],
    ['deflate', undefined],
    ['identity', undefined]
  ]
  for (const [accept, expected] of cases) {
    const res = await get('/c/large.json', accept)
    assert.equal(res.headers['content-encoding'], expected, accept)
    const plain = expected === 'br' ? brotliDecompressSync(res.body) : expected === 'gzip' ? gunzipSync(res.body) : res.body
    assert.deepEqual(plain, LARGE, accept)
  }
})

test('a body under 1 KiB is sent as it is', async () => {
  const res = await get('/c/small.json', 'gzip, br')
  assert.equal(res.headers['content-encoding'], undefined)
  assert.equal(res.headers['content-length'], String(SMALL.length))
  assert.deepEqual(res.body, SMALL)
})

test('a client without Accept-Encoding gets the body as it is, with Vary: Accept-Encoding', async () => {
  const res = await get('/c/large.json')
  assert.equal(res.headers['content-encoding'], undefined)
  assert.ok(varies(res.headers))
  assert.deepEqual(res.body, LARGE)
})

test('a streamed body of unknown length counts as large', async () => {
  const res = await get('/c/streamed.json', 'gzip')
  assert.equal(res.headers['content-encoding'], 'gzip')
  assert.deepEqual(gunzipSync(res.body), SMALL)
})

test('a body the upstream already gzipped passes through untouched', async () => {
  const res = await get('/c/gzipped.json', 'gzip, br')
  assert.equal(res.headers['content-encoding'], 'gzip')
  assert.deepEqual(res.body, GZIPPED)
})

test('a route without compress is never compressed', async () => {
  const res = await get('/plain/large.json', 'gzip, br')
  assert.equal(res.headers['content-encoding'], undefined)
  assert.equal(res.headers.vary, undefined)
  assert.deepEqual(res.body, LARGE)
})

test('HEAD and 204 are left alone', async () => {
  const head = await get('/c/large.json', 'gzip', 'HEAD')
  assert.equal(head.status, 200)
  assert.equal(head.headers['content-encoding'], undefined)
  assert.equal(head.headers['content-length'], String(LARGE.length))
  const empty = await get('/c/empty', 'gzip')
  assert.equal(empty.status, 204)
  assert.equal(empty.headers['content-encoding'], undefined)
})

test('SSE is never compressed, and an event reaches the client before the stream ends', { timeout: 10_000 }, async () => {
  const res = await request(gw.url + '/c/events', { headers: { 'accept-encoding': 'gzip, br' } })
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['content-encoding'], undefined)
  const upstream = events.shift() ?? await new Promise<ServerResponse>((resolve) => eventWaiters.push(resolve))
  // The upstream's stream is still open: the event must arrive on its own.
  let text = ''
  for await (const chunk of res.body) {
    text += (chunk as Buffer).toString('utf8')
    if (text.includes('\n\n')) break
  }
  assert.equal(text, `data: ${'e'.repeat(2000)}\n\n`)
  assert.equal(upstream.writableEnded, false)
  upstream.end()
  await once(upstream, 'finish')
})
