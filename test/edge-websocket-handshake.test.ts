// WebSocket handshakes are checked at the gateway, as nginx and HAProxy do: a missing
// or malformed Sec-WebSocket-Key is 400, a version other than 13 is 426 with
// `Sec-WebSocket-Version: 13`, and in neither case does anything reach the upstream.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { WebSocketServer } from 'ws'
import { startGateway, type TestGateway } from './helpers/gateway.js'
import { Conversation, edgeYaml } from './helpers/edge-socket.js'
import { rawRequest } from './helpers/raw.js'

let backend: Server
let wss: WebSocketServer
/** Every request that reached the upstream, upgrade or not. */
let reached = 0
let gw: TestGateway

before(async () => {
  backend = createServer((_req, res) => { reached++; res.end('plain') })
  backend.on('upgrade', () => { reached++ })
  wss = new WebSocketServer({ server: backend })
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve))
  gw = await startGateway(edgeYaml('', `
upstreams:
  ws: { targets: [{ url: http://127.0.0.1:${(backend.address() as AddressInfo).port} }] }
routes:
  - { name: socket, match: { path: /ws }, upstream: ws, websocket: true }
`))
})

after(async () => {
  await gw.close()
  wss.close()
  backend.closeAllConnections()
  await new Promise<void>((resolve) => backend.close(() => { resolve() }))
})

function handshake (lines: string): string {
  return `GET /ws HTTP/1.1\r\nHost: gw.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${lines}\r\n`
}

const KEY = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'

for (const [name, key] of [
  ['missing', ''],
  ['empty', 'Sec-WebSocket-Key: \r\n'],
  ['not base64 of 16 bytes (12 bytes)', 'Sec-WebSocket-Key: AAAAAAAAAAAAAAAA\r\n'],
  ['not base64 at all', 'Sec-WebSocket-Key: ???????????????????????=\r\n']
]) {
  test(`a handshake with a ${name} Sec-WebSocket-Key is 400 and never reaches the upstream`, async () => {
    const before = reached
    const res = await rawRequest(gw.port, handshake(`Sec-WebSocket-Version: 13\r\n${key}`))
    assert.equal(res.status, 400, res.raw)
    assert.match(res.body, /Sec-WebSocket-Key/)
    assert.equal(reached, before)
  })
}

for (const version of ['8', '14', '']) {
  test(`a handshake with Sec-WebSocket-Version ${JSON.stringify(version)} is 426 with Sec-WebSocket-Version: 13`, async () => {
    const before = reached
    const res = await rawRequest(gw.port, handshake(`${version === '' ? '' : `Sec-WebSocket-Version: ${version}\r\n`}${KEY}`))
    assert.equal(res.status, 426, res.raw)
    assert.match(res.head, /sec-websocket-version: 13/i)
    assert.equal(reached, before)
  })
}

test('a valid handshake still reaches the upstream and is switched', async () => {
  const before = reached
  const c = await Conversation.open(gw.port)
  await c.write(handshake(`Sec-WebSocket-Version: 13\r\n${KEY}`))
  const text = await c.until('\r\n\r\n')
  c.destroy()
  assert.match(text, /^HTTP\/1\.1 101 /, text)
  assert.equal(reached, before + 1)
})
