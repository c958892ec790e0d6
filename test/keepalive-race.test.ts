// The keep-alive race against real sockets: an upstream that closes an idle keep-alive
// connection just as the gateway reuses it (while advertising a long keep-alive). An
// idempotent request that fails so, before any byte of an answer, is sent once more on
// a new connection, with or without `retry`; a POST without Idempotency-Key never is.
// And `502` in `retry.on` covers a target that resets every connection.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import net, { type AddressInfo } from 'node:net'
import { test } from 'node:test'
import { request } from 'undici'
import { startBackend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

interface RawBackend { url: string, requestLines: string[], close: () => Promise<void> }

/**
 * Answers the first request of each connection with `Keep-Alive: timeout=300`, then
 * closes the connection as soon as a second request arrives on it, unanswered.
 */
async function startClosingBackend (): Promise<RawBackend> {
  const requestLines: string[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
    let answered = false
    socket.on('data', (data: Buffer) => {
      const line = data.toString('latin1').split('\r\n')[0] ?? ''
      if (/^[A-Z]+ \S+ HTTP\/1\.1$/.test(line)) requestLines.push(line)
      if (answered) { socket.destroy(); return }
      answered = true
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\nkeep-alive: timeout=300\r\n\r\nok')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requestLines,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(resolve))
    }
  }
}

/** Resets every connection at its first request. */
async function startResettingBackend (): Promise<{ url: string, close: () => Promise<void> }> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined)
    socket.once('data', () => { socket.resetAndDestroy() })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: async () => { await new Promise((resolve) => server.close(resolve)) } }
}

async function gatewayFor (targets: string[], retry = ''): Promise<TestGateway> {
  return await startGateway(`${BASE}upstreams:
  app:
    targets: [${targets.map((url) => `{ url: "${url}" }`).join(', ')}]
routes:
  - { name: app, match: { path: / }, upstream: app${retry === '' ? '' : `, ${retry}`} }
`)
}

async function statuses (gw: TestGateway, count: number, method: 'GET' | 'POST' | 'HEAD' | 'DELETE' = 'GET'): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    const res = await request(`${gw.url}/r/${i}`, { method, ...(method === 'POST' ? { body: `{"n":${i}}`, headers: { 'content-type': 'application/json' } } : {}) })
    await res.body.dump()
    out.push(res.statusCode)
  }
  return out
}

test('idempotent requests on a route without retry survive the keep-alive race', async () => {
  const backend = await startClosingBackend()
  const gw = await gatewayFor([backend.url])
  try {
    for (const method of ['GET', 'HEAD', 'DELETE'] as const) {
      assert.deepEqual(await statuses(gw, 12, method), new Array(12).fill(200), method)
    }
    // The race did happen: some requests reached the backend twice.
    assert.ok(backend.requestLines.length > 36, `${backend.requestLines.length} request lines for 36 requests`)
  } finally {
    await gw.close()
    await backend.close()
  }
})

test('a POST without Idempotency-Key is never sent twice', async () => {
  const backend = await startClosingBackend()
  const gw = await gatewayFor([backend.url])
  try {
    const got = await statuses(gw, 12, 'POST')
    assert.ok(got.includes(502), `the race was met: ${got.join(' ')}`)
    assert.ok(got.every((s) => s === 200 || s === 502), got.join(' '))
    const posts = backend.requestLines.filter((l) => l.startsWith('POST '))
    assert.equal(new Set(posts).size, posts.length, 'no POST reached the backend twice')
  } finally {
    await gw.close()
    await backend.close()
  }
})

test('a route with retry replays a request that met the race, even when `on` lists neither reset nor 502', async () => {
  const backend = await startClosingBackend()
  const gw = await gatewayFor([backend.url], 'retry: { attempts: 1, backoff: 1ms, on: [503] }')
  try {
    assert.deepEqual(await statuses(gw, 12), new Array(12).fill(200))
  } finally {
    await gw.close()
    await backend.close()
  }
})

test('with 502 in retry.on, a target that resets every connection is invisible to GETs', async () => {
  const resetting = await startResettingBackend()
  const healthy = await startBackend()
  const gw = await gatewayFor([resetting.url, healthy.url], 'retry: { attempts: 2, backoff: 1ms, maxBackoff: 5ms, on: [connect-failure, 502, 503, 504] }')
  try {
    assert.deepEqual(await statuses(gw, 20), new Array(20).fill(200))
  } finally {
    await gw.close()
    await healthy.close()
    await resetting.close()
  }
})
