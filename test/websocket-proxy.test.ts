// WebSocket routes: the upgrade goes through the gateway to a real `ws`
// server and the frames, subprotocol choice and close codes are the upstream's own.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import net, { type AddressInfo, type Socket } from 'node:net'
import { after, before, test } from 'node:test'
import WebSocket, { WebSocketServer, type RawData } from 'ws'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'
import { rawRequest } from './helpers/raw.js'

const STALL = { timeout: 15_000 }

interface Upgrade { url: string, headers: IncomingMessage['headers'] }
interface Closed { code: number, reason: string }

let server: Server
let wss: WebSocketServer
/** Answers an upgrade with a 101, a burst of bytes and an immediate close. */
let burst: Server
/** Takes the upgrade request and never answers. */
let silent: Server
const BURST = 8 * 1024 * 1024
let gw: TestGateway
/** Handshakes that reached the backend as upgrades, and plain requests that did not. */
const upgrades: Upgrade[] = []
const plain: Upgrade[] = []
/** Close frames the backend received, one promise per connection in arrival order. */
const serverCloses: Array<Promise<Closed>> = []
const clients = new Set<WebSocket>()

before(async () => {
  // Plain HTTP on the WebSocket backend: says how many body bytes it got.
  server = createServer((req, res) => {
    plain.push({ url: req.url ?? '', headers: req.headers })
    let bytes = 0
    req.on('data', (chunk: Buffer) => { bytes += chunk.length })
    req.on('end', () => {
      const text = `plain ${req.method ?? ''} ${bytes}`
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': text.length })
      res.end(text)
    })
  })
  wss = new WebSocketServer({
    server,
    // The upstream, not the gateway, picks the subprotocol: the last one offered.
    handleProtocols: (offered) => [...offered].at(-1) ?? false,
    verifyClient: (info, done) => {
      if (info.req.url?.startsWith('/ws/deny') === true) done(false, 403, 'Forbidden', { 'x-denied-by': 'upstream' })
      else done(true)
    }
  })
  wss.on('connection', (ws, req) => {
    upgrades.push({ url: req.url ?? '', headers: req.headers })
    serverCloses.push(new Promise((resolve) => ws.once('close', (code, reason) => { resolve({ code, reason: reason.toString() }) })))
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const text = isBinary ? '' : data.toString()
      if (text.startsWith('close:')) {
        const [, code, reason] = text.split(':')
        ws.close(Number(code), reason)
      } else {
        ws.send(data, { binary: isBinary })
      }
    })
    ws.send('welcome') // straight after the 101: may share a TCP segment with it
  })
  burst = createServer()
  burst.on('upgrade', (_req, socket: Socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n')
    socket.end(Buffer.alloc(BURST, 0x62))
  })
  silent = createServer()
  silent.on('upgrade', (_req, socket: Socket) => { socket.resume() }) // read, so it sees the gateway leave
  const port = await listen(server)
  const burstPort = await listen(burst)
  const silentPort = await listen(silent)
  gw = await startGateway(`${BASE}
upstreams:
  ws: { targets: [{ url: http://127.0.0.1:${port} }] }
  dead: { targets: [{ url: http://127.0.0.1:1 }] }
  burst: { targets: [{ url: http://127.0.0.1:${burstPort} }] }
  silent: { targets: [{ url: http://127.0.0.1:${silentPort} }] }
routes:
  - name: socket
    match: { path: /ws }
    upstream: ws
    websocket: true
  - name: stripped
    match: { path: /rt }
    upstream: ws
    websocket: true
    stripPrefix: true
  - name: http-only
    match: { path: /plain }
    upstream: ws
  - name: dead
    match: { path: /dead }
    upstream: dead
    websocket: true
  - name: burst
    match: { path: /burst }
    upstream: burst
    websocket: true
  - name: silent
    match: { path: /silent }
    upstream: silent
    websocket: true
    timeout: 300ms
  - name: hang
    match: { path: /hang }
    upstream: silent
    websocket: true
    timeout: 60s
`)
})

after(async () => {
  for (const ws of clients) ws.terminate()
  await gw.close()
  for (const ws of wss.clients) ws.terminate()
  wss.close()
  for (const s of [server, burst, silent]) {
    s.closeAllConnections()
    await new Promise<void>((resolve) => s.close(() => { resolve() }))
  }
})

async function listen (s: Server): Promise<number> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  return (s.address() as AddressInfo).port
}

const HANDSHAKE = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'

/** A client-to-server text frame (masked, as RFC 6455 requires), payload under 126 bytes. */
function maskedText (text: string): Buffer {
  const payload = Buffer.from(text)
  const mask = Buffer.from([1, 2, 3, 4])
  const masked = payload.map((b, i) => b ^ (mask[i % 4] as number))
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked])
}

/** Unmasked server text frames (payload under 126 bytes) in `data`. */
function serverTexts (data: Buffer): string[] {
  const texts: string[] = []
  for (let i = 0; i + 2 <= data.length;) {
    const length = (data[i + 1] as number) & 0x7f
    if ((data[i] as number) === 0x81) texts.push(data.subarray(i + 2, i + 2 + length).toString())
    i += 2 + length
  }
  return texts
}

/** A message as the client saw it. */
interface Message { data: Buffer, binary: boolean }

/** A connected client whose messages queue up until read, so none is missed. */
class Client {
  private readonly queue: Message[] = []
  private readonly waiting: Array<(m: Message) => void> = []
  readonly closed: Promise<Closed>

  constructor (readonly ws: WebSocket) {
    clients.add(ws)
    ws.on('message', (data: RawData, binary: boolean) => {
      const m = { data: Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer), binary }
      const wake = this.waiting.shift()
      if (wake !== undefined) wake(m)
      else this.queue.push(m)
    })
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => {
      clients.delete(ws)
      resolve({ code, reason: reason.toString() })
    }))
  }

  async next (): Promise<Message> {
    const ready = this.queue.shift()
    if (ready !== undefined) return ready
    return await new Promise((resolve) => this.waiting.push(resolve))
  }

  async text (): Promise<string> {
    const m = await this.next()
    assert.equal(m.binary, false)
    return m.data.toString()
  }

  async close (): Promise<Closed> {
    this.ws.close(1000, 'done')
    return await this.closed
  }
}

/** Opens a WebSocket through the gateway and reads the upstream's welcome message. */
async function connect (path: string, options: { protocols?: string[], headers?: Record<string, string> } = {}): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port}${path}`, options.protocols ?? [], { headers: options.headers })
  const client = new Client(ws)
  await once(ws, 'open')
  assert.equal(await client.text(), 'welcome')
  return client
}

/** Attempts a handshake that should be refused; resolves with the HTTP answer. */
async function refused (path: string): Promise<{ status: number, headers: IncomingMessage['headers'], body: string, upgraded: boolean }> {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port}${path}`)
  return await new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.terminate()
      resolve({ status: 101, headers: {}, body: '', upgraded: true })
    })
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        ws.terminate()
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), upgraded: false })
      })
    })
    ws.once('error', (err) => { if (ws.readyState !== WebSocket.CLOSED) reject(err) })
  })
}

test('text and binary frames pass both ways', STALL, async () => {
  const client = await connect('/ws')
  client.ws.send('hello')
  assert.deepEqual(await client.text(), 'hello')
  const bytes = Buffer.from([0, 1, 2, 253, 254, 255])
  client.ws.send(bytes)
  const echoed = await client.next()
  assert.equal(echoed.binary, true)
  assert.deepEqual(echoed.data, bytes)
  await client.close()
})

test('a 5 MB message passes intact in both directions', STALL, async () => {
  const client = await connect('/ws')
  const big = Buffer.alloc(5 * 1024 * 1024)
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i)
  client.ws.send(big)
  const echoed = await client.next()
  assert.equal(echoed.binary, true)
  assert.equal(echoed.data.length, big.length)
  assert.ok(echoed.data.equals(big))
  await client.close()
})

test('the upstream chooses the subprotocol', STALL, async () => {
  const client = await connect('/ws', { protocols: ['a', 'b'] })
  assert.equal(client.ws.protocol, 'b')
  assert.equal(upgrades.at(-1)?.headers['sec-websocket-protocol'], 'a,b')
  await client.close()
})

/** turnpike_requests_total for one route/status, from the gateway's registry. */
async function counted (route: string, status: string): Promise<number> {
  const metric = await gw.gateway.metrics.requestsTotal.get()
  const labels = (v: { labels: object }): Record<string, unknown> => v.labels as Record<string, unknown>
  return metric.values.find((v) => labels(v).route === route && labels(v).status === status)?.value ?? 0
}

test('a tunnel is counted (status 101) once it has closed', STALL, async () => {
  const before = await counted('stripped', '101')
  const client = await connect('/rt/count')
  assert.equal(await counted('stripped', '101'), before, 'not while it is open')
  await client.close()
  // Recorded when the gateway sees the client socket close, a moment after the client does.
  for (let i = 0; i < 500 && await counted('stripped', '101') === before; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal(await counted('stripped', '101'), before + 1)
})

/** turnpike_websocket_connections for one route. */
async function openTunnels (route: string): Promise<number> {
  const metric = await gw.gateway.metrics.websocketConnections.get()
  return metric.values.find((v) => (v.labels as Record<string, unknown>).route === route)?.value ?? 0
}

test('turnpike_websocket_connections counts open tunnels per route', STALL, async () => {
  const before = await openTunnels('socket')
  const a = await connect('/ws/gauge-a')
  const b = await connect('/ws/gauge-b')
  for (let i = 0; i < 500 && await openTunnels('socket') !== before + 2; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal(await openTunnels('socket'), before + 2)
  await a.close()
  for (let i = 0; i < 500 && await openTunnels('socket') !== before + 1; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal(await openTunnels('socket'), before + 1, 'one closed')
  await b.close()
  for (let i = 0; i < 500 && await openTunnels('socket') !== before; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal(await openTunnels('socket'), before)
})

test("the server's close code and reason reach the client", STALL, async () => {
  const client = await connect('/ws')
  client.ws.send('close:4001:bye')
  assert.deepEqual(await client.closed, { code: 4001, reason: 'bye' })
})

test("the client's close code and reason reach the server", STALL, async () => {
  const client = await connect('/ws')
  const atServer = serverCloses.at(-1) as Promise<Closed>
  client.ws.close(4002, 'client leaving')
  assert.deepEqual(await atServer, { code: 4002, reason: 'client leaving' })
  assert.deepEqual(await client.closed, { code: 4002, reason: 'client leaving' })
})

test('an upgrade on a route without websocket: true is not tunnelled', STALL, async () => {
  const before = upgrades.length
  const res = await refused('/plain/x')
  assert.equal(res.upgraded, false)
  assert.notEqual(res.status, 101)
  assert.equal(upgrades.length, before, 'the backend saw no upgrade')
  const seen = plain.at(-1)
  assert.equal(seen?.url, '/plain/x')
  assert.equal(seen?.headers.upgrade, undefined)
})

test('a POST with Upgrade: h2c is forwarded as plain HTTP with its whole body', STALL, async () => {
  const body = Buffer.alloc(1024 * 1024, 0x63) // far more than arrives with the headers
  const res = await rawRequest(gw.port, Buffer.concat([
    Buffer.from('POST /plain/h2c HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n' +
      `HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nContent-Length: ${body.length}\r\n\r\n`),
    body
  ]))
  assert.equal(res.status, 200)
  assert.equal(res.body, `plain POST ${body.length}`)
  assert.equal(plain.at(-1)?.headers.upgrade, undefined)
})

test('a chunked body on an upgrade request is refused with 400, not dropped', STALL, async () => {
  const res = await rawRequest(gw.port, 'POST /plain/h2c HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n' +
    'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n')
  assert.equal(res.status, 400)
})

test('an unreachable upstream answers the handshake with 502', STALL, async () => {
  const res = await refused('/dead')
  assert.equal(res.status, 502)
  assert.equal((JSON.parse(res.body) as { code: string }).code.startsWith('TURNPIKE_'), true)
})

test('stripPrefix applies to the upgrade path and the query is kept', STALL, async () => {
  const client = await connect('/rt/chat/room-1?token=abc')
  assert.equal(upgrades.at(-1)?.url, '/chat/room-1?token=abc')
  await client.close()
})

test('X-Forwarded-For and X-Request-Id reach the upstream handshake', STALL, async () => {
  const client = await connect('/ws', { headers: { 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'ws-req-1' } })
  const seen = upgrades.at(-1)?.headers
  assert.equal(seen?.['x-forwarded-for'], '203.0.113.9, 127.0.0.1')
  assert.equal(seen?.['x-request-id'], 'ws-req-1')
  assert.equal(seen?.['x-forwarded-proto'], 'http')
  await client.close()
})

test('an open WebSocket survives a config reload; new connections use the new config', STALL, async () => {
  const client = await connect('/ws')
  const generation = gw.gateway.generation.id
  const yaml = await readFile(gw.file, 'utf8')
  await writeFile(gw.file, `${yaml}  - name: added
    match: { path: /added }
    upstream: ws
    websocket: true
    stripPrefix: true
`)
  const result = await gw.gateway.reload('test', true)
  assert.equal(result.result, 'success')
  assert.notEqual(gw.gateway.generation.id, generation)

  client.ws.send('still there')
  assert.equal(await client.text(), 'still there')

  const fresh = await connect('/added/x') // a route only the new generation has
  assert.equal(upgrades.at(-1)?.url, '/x')
  fresh.ws.send('new')
  assert.equal(await fresh.text(), 'new')

  client.ws.send('old again')
  assert.equal(await client.text(), 'old again')
  await client.close()
  await fresh.close()
})

test("the upstream's refusal of the handshake reaches the client as sent", STALL, async () => {
  const res = await refused('/ws/deny')
  assert.equal(res.status, 403)
  assert.equal(res.upgraded, false)
  assert.equal(res.headers['x-denied-by'], 'upstream')
  assert.equal(res.body, 'Forbidden')
})

test('an upstream that does not answer the handshake gets 504 after the route timeout', STALL, async () => {
  const res = await refused('/silent')
  assert.equal(res.status, 504)
})

test('a client leaving mid-handshake closes the upstream connection at once', STALL, async () => {
  const arrived = new Promise<Socket>((resolve) => silent.once('upgrade', (_req, socket: Socket) => { resolve(socket) }))
  const client = net.connect(gw.port, '127.0.0.1')
  client.write(HANDSHAKE('/hang'))
  const upstreamSide = await arrived
  const ended = once(upstreamSide, 'end')
  client.destroy()
  await ended // long before the route's 60 s timeout
})

test('a client resetting mid-handshake does not take the gateway down', STALL, async () => {
  const arrived = new Promise<Socket>((resolve) => silent.once('upgrade', (_req, socket: Socket) => { resolve(socket) }))
  const client = net.connect(gw.port, '127.0.0.1')
  client.write(HANDSHAKE('/hang'))
  const upstreamSide = await arrived
  const ended = once(upstreamSide, 'end')
  client.resetAndDestroy() // TCP RST: an 'error' on the gateway's socket
  await ended
  const next = await connect('/ws')
  next.ws.send('alive')
  assert.equal(await next.text(), 'alive')
  await next.close()
})

test('the 101 carries the request id', STALL, async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws`, { headers: { 'x-request-id': 'ws-id-2' } })
  const client = new Client(ws)
  const [res] = await once(ws, 'upgrade') as [IncomingMessage]
  assert.equal(res.headers['x-request-id'], 'ws-id-2')
  assert.equal(await client.text(), 'welcome')
  await client.close()
})

test('a frame sent together with the handshake reaches the upstream', STALL, async () => {
  const socket = net.connect(gw.port, '127.0.0.1')
  await once(socket, 'connect')
  socket.write(Buffer.concat([Buffer.from(HANDSHAKE('/ws')), maskedText('early')]))
  let data = Buffer.alloc(0)
  while (!serverTexts(data.subarray(data.indexOf('\r\n\r\n') + 4)).includes('early')) {
    const [chunk] = await once(socket, 'data') as [Buffer]
    data = Buffer.concat([data, chunk])
  }
  assert.match(data.toString('latin1'), /^HTTP\/1\.1 101 /)
  assert.deepEqual(serverTexts(data.subarray(data.indexOf('\r\n\r\n') + 4)), ['welcome', 'early'])
  socket.destroy()
  await once(socket, 'close')
})

test('bytes the upstream sends just before closing all reach a slow client', STALL, async () => {
  const socket = net.connect(gw.port, '127.0.0.1')
  const chunks: Buffer[] = []
  const ended = new Promise<void>((resolve, reject) => {
    socket.on('error', reject)
    socket.on('end', resolve)
  })
  // Reads one chunk per turn of the event loop, so the gateway has bytes queued for
  // this client when the upstream's FIN arrives.
  socket.on('data', (c: Buffer) => {
    chunks.push(c)
    socket.pause()
    setImmediate(() => socket.resume())
  })
  socket.write(HANDSHAKE('/burst'))
  await ended
  const all = Buffer.concat(chunks)
  const head = all.indexOf('\r\n\r\n') + 4
  assert.match(all.toString('latin1', 0, head), /^HTTP\/1\.1 101 /)
  assert.equal(all.length - head, BURST)
  socket.destroy()
})
