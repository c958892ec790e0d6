// An Upgrade or a CONNECT pipelined behind other requests on one connection. Node
// emits them the moment their headers are parsed, while the answers before them are
// still on their way; they must be answered in turn (after those answers), never in
// the middle of one, and never take the process down (it once did: one 70-byte packet,
// ERR_HTTP_SOCKET_ASSIGNED, exit).
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { WebSocketServer } from 'ws'
import { startBackend, type Backend } from './helpers/backend.js'
import { Conversation, edgeYaml } from './helpers/edge-socket.js'
import { startGateway, type TestGateway } from './helpers/gateway.js'
import { rawRequest } from './helpers/raw.js'

const BIG = 4 * 1024 * 1024
const HANDSHAKE = 'GET /ws HTTP/1.1\r\nHost: gw.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
  'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'

let a: Backend
let big: Backend
let wsServer: Server
let wss: WebSocketServer
let handshakes = 0
let gw: TestGateway

before(async () => {
  a = await startBackend()
  big = await startBackend((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BIG })
    res.end(Buffer.alloc(BIG, 0x61))
  })
  wsServer = createServer()
  wss = new WebSocketServer({ server: wsServer })
  wss.on('connection', (ws) => {
    handshakes++
    ws.send('welcome')
  })
  await new Promise<void>((resolve) => wsServer.listen(0, '127.0.0.1', resolve))
  const wsPort = (wsServer.address() as AddressInfo).port
  gw = await startGateway(edgeYaml('', `
upstreams:
  a: { targets: [{ url: ${a.url} }] }
  big: { targets: [{ url: ${big.url} }] }
  ws: { targets: [{ url: http://127.0.0.1:${wsPort} }] }
routes:
  - { name: public, match: { path: /public }, upstream: a }
  - { name: big, match: { path: /big }, upstream: big }
  - { name: socket, match: { path: /ws }, upstream: ws, websocket: true }
`))
})

after(async () => {
  await gw.close()
  await a.close()
  await big.close()
  wss.close()
  wsServer.closeAllConnections()
  await new Promise<void>((resolve) => wsServer.close(() => { resolve() }))
})

/** The status codes of the answers in `raw`, in the order they were sent. */
function statuses (raw: string): number[] {
  return [...raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]))
}

async function stillServing (): Promise<void> {
  const res = await rawRequest(gw.port, 'GET /public/alive HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n')
  assert.equal(res.status, 200, 'the gateway still answers')
}

test('the 70-byte packet from the fuzzer (Upgrade behind a 400) is answered 400 and the gateway stays up', async () => {
  const res = await rawRequest(gw.port, 'GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nConnection:upgrade\r\nUpgrade:x\r\n\r\n')
  assert.deepEqual(statuses(res.raw), [400], res.raw)
  await stillServing()
})

test('an Upgrade pipelined behind a proxied request is answered after it, in turn', async () => {
  const seen = a.seen.length
  const res = await rawRequest(gw.port, 'GET /public/one HTTP/1.1\r\nHost: gw.test\r\n\r\n' +
    'GET /public/two HTTP/1.1\r\nHost: gw.test\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n')
  assert.deepEqual(statuses(res.raw), [200, 200], res.raw)
  assert.deepEqual(a.seen.slice(seen).map((s) => s.url), ['/public/one', '/public/two'])
  assert.ok(res.raw.indexOf('/public/one') < res.raw.indexOf('/public/two'), 'answers in request order')
  await stillServing()
})

test('a WebSocket handshake pipelined behind a request is tunnelled after that request is answered', async () => {
  const before = handshakes
  const c = await Conversation.open(gw.port)
  await c.write('GET /public/first HTTP/1.1\r\nHost: gw.test\r\n\r\n' + HANDSHAKE)
  const text = await c.until('welcome')
  c.destroy()
  assert.deepEqual(statuses(text), [200, 101], text)
  assert.ok(text.indexOf('/public/first') < text.indexOf('101 Switching Protocols'), 'the 200 comes first, whole')
  assert.equal(handshakes, before + 1)
})

test('an upgrade behind a 4 MB answer waits for all of it (no stall, nothing interleaved)', { timeout: 20_000 }, async () => {
  const c = await Conversation.open(gw.port)
  await c.write('GET /big HTTP/1.1\r\nHost: gw.test\r\n\r\n' + HANDSHAKE)
  const text = await c.until('welcome')
  c.destroy()
  const at101 = text.indexOf('HTTP/1.1 101 ')
  const bodyStart = text.indexOf('\r\n\r\n') + 4
  assert.equal(at101 - bodyStart, BIG, 'the whole 4 MB body precedes the 101')
})

test('an upgrade behind a Connection: close request is never a request', async () => {
  const before = handshakes
  const res = await rawRequest(gw.port, 'GET /public/last HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n' + HANDSHAKE)
  assert.deepEqual(statuses(res.raw), [200], res.raw)
  assert.equal(handshakes, before)
  await stillServing()
})

test('a CONNECT pipelined behind a POST is answered 405 after the POST, which keeps its own answer', async () => {
  const seen = a.seen.length
  const res = await rawRequest(gw.port, 'POST /public/posted HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 5\r\n\r\nhello' +
    'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')
  assert.deepEqual(statuses(res.raw), [200, 405], res.raw)
  assert.match(res.raw, /"url":"\/public\/posted"/, 'the POST answer reaches the client whole')
  assert.equal(a.seen.length - seen, 1)
  assert.equal(a.seen.at(-1)?.bodyBytes, 5)
})

test('a CONNECT behind a refused request is never answered on its own', async () => {
  const res = await rawRequest(gw.port, 'GET /public/%2f HTTP/1.1\r\nHost: gw.test\r\n\r\nCONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')
  assert.deepEqual(statuses(res.raw), [400], res.raw)
  await stillServing()
})
