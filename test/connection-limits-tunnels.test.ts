// security.connections over TLS (counted at TCP accept, refused after the handshake so
// the client can read the answer) and for WebSocket tunnels (a tunnel holds its place
// until it closes).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import net, { type AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import WebSocket, { WebSocketServer } from 'ws'
import { BASE, startGateway } from './helpers/gateway.js'
import { eventually, Peer } from './helpers/peer.js'

let upstream: Server
let wss: WebSocketServer
let url: string

before(async () => {
  upstream = createServer((_req, res) => { res.end('ok') })
  wss = new WebSocketServer({ server: upstream })
  wss.on('connection', (ws) => { ws.on('message', (data) => { ws.send(data) }) })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
})

after(async () => {
  wss.close()
  upstream.closeAllConnections()
  await new Promise<void>((resolve) => upstream.close(() => { resolve() }))
})

const routes = (): string => `upstreams:
  app: { targets: [{ url: ${url} }] }
routes:
  - { name: socket, match: { path: /ws }, upstream: app, websocket: true }
  - { name: app, match: { path: / }, upstream: app }
`

test('TLS: the connection over perIp completes its handshake and reads the 429, then is closed', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-connlimit-'))
  const key = path.join(dir, 'tls.key')
  const cert = path.join(dir, 'tls.crt')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' })
  const gw = await startGateway(`${BASE.replace('port: 0 }', `port: 0, tls: { cert: ${cert}, key: ${key} } }`)}
security: { connections: { perIp: 2 } }
${routes()}`)
  try {
    const held = [await Peer.open(gw.port, '127.0.3.1', { tls: true }), await Peer.open(gw.port, '127.0.3.1', { tls: true })]
    for (const peer of held) assert.equal((await peer.get()).status, 200)
    const third = await Peer.open(gw.port, '127.0.3.1', { tls: true })
    const res = await third.get()
    assert.equal(res.status, 429)
    assert.equal((JSON.parse(res.body) as { code: string }).code, 'TURNPIKE_TOO_MANY_CONNECTIONS')
    await third.closed
    const other = await Peer.open(gw.port, '127.0.3.2', { tls: true })
    assert.equal((await other.get()).status, 200)
    await held[0]!.close()
    await eventually(() => gw.gateway.connections.ledger.open === 2, 'the gateway saw the TLS close')
    const next = await Peer.open(gw.port, '127.0.3.1', { tls: true })
    assert.equal((await next.get()).status, 200)

    // Over the limit and silent (no handshake, no close): the gateway drops it at its
    // refusal deadline, not at the TLS handshake timeout minutes later.
    // (allowHalfOpen: this client never closes its side; 'end' is the gateway's FIN.)
    const silent = net.connect({ host: '127.0.0.1', port: gw.port, localAddress: '127.0.3.1', allowHalfOpen: true })
    silent.on('error', () => undefined)
    await once(silent, 'end')
    silent.destroy()

    for (const peer of [held[1]!, other, next]) await peer.close()
    await eventually(() => gw.gateway.connections.ledger.addresses === 0, 'no entry left')
  } finally {
    await gw.close()
    await rm(dir, { recursive: true, force: true })
  }
})

test('a WebSocket tunnel holds its connection\'s place until it closes', async () => {
  const gw = await startGateway(`${BASE}security: { connections: { perIp: 1 } }\n${routes()}`)
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws`, { localAddress: '127.0.3.10' })
    await once(ws, 'open')
    ws.send('ping')
    assert.equal(String((await once(ws, 'message'))[0]), 'ping')
    const second = await Peer.open(gw.port, '127.0.3.10')
    assert.equal((await second.get()).status, 429, 'the tunnel counts as the address\'s one connection')
    await second.closed
    ws.close()
    await once(ws, 'close')
    await eventually(() => gw.gateway.connections.ledger.open === 0, 'the gateway saw the tunnel close')
    const third = await Peer.open(gw.port, '127.0.3.10')
    assert.equal((await third.get()).status, 200)
    await third.close()
  } finally {
    await gw.close()
  }
})
