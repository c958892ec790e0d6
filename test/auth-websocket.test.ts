// Auth on a WebSocket route (auth applies to the handshake): without a token
// the handshake gets a 401 with the Bearer challenge and never reaches the upstream;
// with one the tunnel opens, frames echo, and the upstream sees the caller's identity.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { SignJWT } from 'jose'
import WebSocket, { WebSocketServer, type RawData } from 'ws'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

const SECRET = 'websocket-test-secret-of-32-bytes!!'

let server: Server
let wss: WebSocketServer
let gw: TestGateway
/** The handshakes that reached the upstream. */
const upgrades: IncomingMessage['headers'][] = []

before(async () => {
  server = createServer((_req, res) => { res.writeHead(426).end() })
  wss = new WebSocketServer({ server })
  wss.on('connection', (ws, req) => {
    upgrades.push(req.headers)
    ws.on('message', (data: RawData, isBinary: boolean) => { ws.send(data, { binary: isBinary }) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  gw = await startGateway(`${BASE}
auth:
  jwt: { secret: "${SECRET}" }
  identityHeader: x-user
upstreams:
  ws: { targets: [{ url: http://127.0.0.1:${(server.address() as AddressInfo).port} }] }
routes:
  - { name: socket, match: { path: /ws }, upstream: ws, websocket: true, auth: jwt }
`)
})

after(async () => {
  await gw.close()
  for (const ws of wss.clients) ws.terminate()
  wss.close()
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
})

async function token (): Promise<string> {
  return await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET))
}

/** The HTTP answer to a handshake the gateway refused. */
async function refusal (headers: Record<string, string>): Promise<{ status: number, challenge: string | undefined, body: string }> {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws`, { headers })
  ws.on('error', () => {}) // ws reports the refusal as an error too
  const [, res] = await once(ws, 'unexpected-response') as [unknown, IncomingMessage]
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk as Buffer)
  ws.terminate()
  const challenge = res.headers['www-authenticate']
  return { status: res.statusCode ?? 0, challenge: Array.isArray(challenge) ? challenge.join('|') : challenge, body: Buffer.concat(chunks).toString() }
}

test('a handshake without a token is refused with 401 and never reaches the upstream', async () => {
  const before = upgrades.length
  const res = await refusal({})
  assert.equal(res.status, 401)
  assert.equal(res.challenge, 'Bearer realm="turnpike"')
  assert.equal((JSON.parse(res.body) as { code: string }).code, 'TURNPIKE_UNAUTHORIZED')
  assert.equal(upgrades.length, before)
})

test('a handshake with a bad token is refused with invalid_token', async () => {
  const res = await refusal({ authorization: 'Bearer not.a.token' })
  assert.equal(res.status, 401)
  assert.equal(res.challenge, 'Bearer realm="turnpike", error="invalid_token", error_description="malformed token"')
})

test('a handshake with a valid token connects, echoes, and carries the identity upstream', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws`, { headers: { authorization: `Bearer ${await token()}`, 'x-user': 'root' } })
  try {
    await once(ws, 'open')
    ws.send('hello through auth')
    const [data] = await once(ws, 'message') as [RawData]
    assert.equal(data.toString(), 'hello through auth')
    assert.equal(upgrades.at(-1)?.['x-user'], 'alice')
  } finally {
    ws.close()
  }
})
