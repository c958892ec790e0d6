// Slowloris: a client that trickles its request headers (or sends none) is cut once
// timeouts.requestHeader (1 s here) has passed, with a 408, and nothing of its request
// reaches an upstream. Bounds are generous: Node checks the timeout on an interval,
// and the test machine may be loaded.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startBackend, type Backend } from './helpers/backend.js'
import { Conversation, edgeYaml } from './helpers/edge-socket.js'
import { startGateway, type TestGateway } from './helpers/gateway.js'

const REQUEST_HEADER_MS = 1000
/** Far above requestHeader plus Node's check interval, far below "never". */
const CUT_WITHIN_MS = 8000

let backend: Backend
let gw: TestGateway

before(async () => {
  backend = await startBackend()
  gw = await startGateway(edgeYaml('timeouts: { requestHeader: 1s }', `
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

/** Writes `text` one byte every `everyMs` until it is all sent or the gateway hangs up. */
function trickle (c: Conversation, text: string, everyMs: number): () => void {
  let i = 0
  const timer = setInterval(() => {
    if (c.isClosed || i >= text.length) {
      clearInterval(timer)
      return
    }
    c.write(text.charAt(i++)).catch(() => undefined)
  }, everyMs)
  return () => { clearInterval(timer) }
}

test('headers sent one byte at a time, slower than requestHeader, are cut with 408', async () => {
  const before = backend.seen.length
  const started = Date.now()
  const c = await Conversation.open(gw.port)
  // 100 ms a byte: the whole head would take about 6 s.
  const stop = trickle(c, 'GET /x HTTP/1.1\r\nHost: gw.test\r\nX-Slow: ' + 'a'.repeat(20) + '\r\n\r\n', 100)
  const res = await c.closed
  stop()
  const elapsed = Date.now() - started
  assert.equal(res.status, 408, res.raw)
  assert.match(res.body, /"statusCode":408/)
  assert.ok(elapsed >= REQUEST_HEADER_MS - 100, `cut after ${elapsed} ms, before requestHeader`)
  assert.ok(elapsed < CUT_WITHIN_MS, `cut only after ${elapsed} ms`)
  assert.equal(backend.seen.length, before)
})

test('a connection that never sends a byte is cut after requestHeader', async () => {
  const started = Date.now()
  const c = await Conversation.open(gw.port)
  const res = await c.closed
  const elapsed = Date.now() - started
  assert.ok(res.status === 408 || res.raw === '', res.raw)
  assert.ok(elapsed >= REQUEST_HEADER_MS - 100, `cut after ${elapsed} ms`)
  assert.ok(elapsed < CUT_WITHIN_MS, `cut only after ${elapsed} ms`)
})

test('a client that sends its headers in time is not cut', async () => {
  const before = backend.seen.length
  const c = await Conversation.open(gw.port)
  // Three pieces, all well within requestHeader.
  await c.write('GET /x HTTP/1.1\r\n')
  await c.write('Host: gw.test\r\n')
  await c.write('Connection: close\r\n\r\n')
  const res = await c.closed
  assert.equal(res.status, 200)
  assert.equal(backend.seen.length, before + 1)
})
