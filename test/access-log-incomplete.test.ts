// A response that never finishes still gets its access line and its count: an upstream
// that dies mid-body, a client that leaves mid-body, a client that leaves before any
// answer. Fastify runs onResponse only on a finished response, so these were silent.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect } from 'node:net'
import { test } from 'node:test'
import { startBackend } from './helpers/backend.js'
import { startChildGateway, type ChildGateway } from './helpers/child.js'
import { h2Request, openSession } from './helpers/h2-client.js'

const config = (backendUrl: string, http2 = false, workers = 1): string => `
server: { host: 127.0.0.1, port: 0, http2: ${String(http2)}, workers: ${workers} }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: true }
upstreams:
  app: { targets: [{ url: ${backendUrl} }] }
routes:
  - { name: app, match: { path: /api }, upstream: app, timeout: 20s }
`

/** Sends one GET on a raw socket; resolves with the socket once `until` has been read. */
async function rawGet (gw: ChildGateway, path: string, id: string, until: string) {
  const socket = connect(Number(new URL(gw.url).port), '127.0.0.1')
  await once(socket, 'connect')
  socket.write(`GET ${path} HTTP/1.1\r\nHost: gw.test\r\nX-Request-Id: ${id}\r\n\r\n`)
  let seen = ''
  if (until !== '') {
    for await (const chunk of socket) {
      seen += String(chunk)
      if (seen.includes(until)) break
    }
  }
  return { socket, seen }
}

async function requestCount (gw: ChildGateway, status: number): Promise<number> {
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith('turnpike_requests_total{') && l.includes('route="app"') && l.includes(`status="${status}"`))
  return line === undefined ? 0 : Number(line.split(' ').at(-1))
}

test('an upstream that dies mid-body: one access line with the status sent, the bytes relayed and incomplete: true, and one count', async () => {
  const backend = await startBackend((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' })
    res.write('x'.repeat(300), () => { res.socket?.destroy() })
  })
  const gw = await startChildGateway(config(backend.url))
  try {
    const { socket } = await rawGet(gw, '/api/cut', 'cut-upstream', '')
    let got = 0
    for await (const chunk of socket) got += (chunk as Buffer).length
    assert.ok(got < 1000, 'the client saw the cut: the connection closed short of Content-Length')
    const line = await gw.waitForLog((l) => l.msg === 'access' && l.reqId === 'cut-upstream')
    assert.equal(line.status, 200)
    assert.equal(line.incomplete, true)
    assert.equal(line.bytes, 300)
    assert.equal(line.route, 'app')
    assert.equal(await requestCount(gw, 200), 1)
  } finally {
    await gw.close()
    await backend.close()
  }
})

test('a client that leaves mid-body: one access line with incomplete: true', async () => {
  const backend = await startBackend((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('first-chunk;') // and never ends
  })
  const gw = await startChildGateway(config(backend.url))
  try {
    const { socket } = await rawGet(gw, '/api/stream', 'left-mid-body', 'first-chunk;')
    socket.destroy()
    const line = await gw.waitForLog((l) => l.msg === 'access' && l.reqId === 'left-mid-body')
    assert.equal(line.status, 200)
    assert.equal(line.incomplete, true)
    assert.ok(Number(line.bytes) > 0, 'the bytes relayed before the client left')
  } finally {
    await gw.close()
    await backend.close()
  }
})

test('a client that leaves before any answer: logged and counted as 499, as nginx does', async () => {
  let arrived!: () => void
  const reached = new Promise<void>((resolve) => { arrived = resolve })
  const backend = await startBackend(() => { arrived() }) // never answers
  const gw = await startChildGateway(config(backend.url))
  try {
    const { socket } = await rawGet(gw, '/api/slow', 'left-early', '')
    await reached
    socket.destroy()
    const line = await gw.waitForLog((l) => l.msg === 'access' && l.reqId === 'left-early')
    assert.equal(line.status, 499)
    assert.equal(line.incomplete, true)
    assert.equal(line.bytes, 0)
    assert.equal(await requestCount(gw, 499), 1)
    assert.equal(gw.logs.filter((l) => l.msg === 'access' && l.reqId === 'left-early').length, 1, 'one line, not one more from an error answer')
  } finally {
    await gw.close()
    await backend.close()
  }
})

test('HTTP/2: a finished stream is complete, a client that resets mid-body makes it incomplete', async () => {
  const backend = await startBackend((req, res) => {
    if (req.url === '/api/whole') {
      res.end('whole')
      return
    }
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('first-chunk;') // and never ends
  })
  const gw = await startChildGateway(config(backend.url, true))
  const session = await openSession(gw.url)
  try {
    const whole = await h2Request(session, { ':path': '/api/whole', 'x-request-id': 'h2-whole' })
    assert.equal(whole.body, 'whole')
    const done = await gw.waitForLog((l) => l.msg === 'access' && l.reqId === 'h2-whole')
    assert.equal(done.status, 200)
    assert.equal(done.incomplete, undefined)
    const stream = session.request({ ':path': '/api/stream', 'x-request-id': 'h2-left' })
    stream.on('error', () => undefined)
    await once(stream, 'data')
    stream.close()
    const left = await gw.waitForLog((l) => l.msg === 'access' && l.reqId === 'h2-left')
    assert.equal(left.status, 200)
    assert.equal(left.protocol, 'h2')
    assert.equal(left.incomplete, true)
  } finally {
    session.close()
    await gw.close()
    await backend.close()
  }
})

test('workers: 2: cut answers and clients gone early are logged once each and counted for the whole gateway', async () => {
  let arrived!: () => void
  let reached = new Promise<void>((resolve) => { arrived = resolve })
  const backend = await startBackend((req, res) => {
    if (req.url === '/api/slow') {
      arrived() // and never answers
      return
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' })
    res.write('x'.repeat(300), () => { res.socket?.destroy() })
  })
  const gw = await startChildGateway(config(backend.url, false, 2))
  try {
    // A new connection each: the primary hands them to both workers.
    for (let i = 0; i < 4; i++) {
      const { socket } = await rawGet(gw, '/api/cut', `w2-cut-${i}`, '')
      for await (const chunk of socket) void chunk
      const line = await gw.waitForLog((l) => l.msg === 'access' && l.reqId === `w2-cut-${i}`)
      assert.equal(line.incomplete, true)
      assert.equal(line.bytes, 300)
    }
    for (let i = 0; i < 2; i++) {
      const { socket } = await rawGet(gw, '/api/slow', `w2-left-${i}`, '')
      await reached
      reached = new Promise<void>((resolve) => { arrived = resolve })
      socket.destroy()
      const line = await gw.waitForLog((l) => l.msg === 'access' && l.reqId === `w2-left-${i}`)
      assert.equal(line.status, 499)
    }
    assert.equal(await requestCount(gw, 200), 4)
    assert.equal(await requestCount(gw, 499), 2)
    assert.equal(gw.logs.filter((l) => l.msg === 'access' && String(l.reqId).startsWith('w2-')).length, 6, 'one line per request')
  } finally {
    await gw.close()
    await backend.close()
  }
})
