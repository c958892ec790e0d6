// An HTTP/2 upstream (`protocol: h2c`) that resets a stream, refuses it, or drops its
// session: before the answer's head the client gets 502, never an empty 200; a refused
// stream (REFUSED_STREAM, or above a GOAWAY's last stream id: never processed) is sent
// once more on a new stream, whatever the method, and not as one of the retries; after
// the head a reset cuts the client's response rather than ending it as if complete.
import assert from 'node:assert/strict'
import { constants, createServer, type Http2Server, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'
import type { AddressInfo, Socket } from 'node:net'
import { after, test } from 'node:test'
import { request } from 'undici'
import { startGateway, type TestGateway } from './helpers/gateway.js'

/** What the upstream does with its nth stream (1-based); `body`: the request body it read. */
type Behaviour = (stream: ServerHttp2Stream, n: number, body: Buffer) => void

interface Upstream {
  readonly port: number
  /** Streams opened on it since the last reset(), and TCP connections. */
  readonly streams: () => number
  readonly connections: () => number
  reset (behaviour: Behaviour): void
}

async function startUpstream (): Promise<Upstream & { close: () => Promise<void> }> {
  let behaviour: Behaviour = (stream) => { stream.respond({ ':status': 200 }); stream.end('ok') }
  let streams = 0
  let connections = 0
  const server: Http2Server = createServer()
  const open = new Set<ServerHttp2Session>()
  server.on('session', (session) => { open.add(session.once('close', () => open.delete(session))) })
  server.on('connection', (socket: Socket) => { connections++; socket.on('error', () => undefined) })
  server.on('sessionError', () => undefined)
  server.on('stream', (stream) => {
    const n = ++streams
    stream.on('error', () => undefined)
    // The behaviour runs once the request body is in (or at once for a stream without one).
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    if (stream.readableEnded) behaviour(stream, n, Buffer.alloc(0))
    else stream.once('end', () => { behaviour(stream, n, Buffer.concat(chunks)) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    async close () {
      for (const session of open) session.destroy()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    },
    port: (server.address() as AddressInfo).port,
    streams: () => streams,
    connections: () => connections,
    reset (b) { behaviour = b; streams = 0; connections = 0 }
  }
}

const up = await startUpstream()
const gw: TestGateway = await startGateway(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0, token: t }
logging: { level: error, accessLog: false }
upstreams:
  h2: { protocol: h2c, targets: [{ url: http://127.0.0.1:${up.port} }] }
routes:
  - { name: retried, match: { path: /retried }, upstream: h2, retry: { attempts: 2, backoff: 1ms } }
  - { name: on-reset, match: { path: /on-reset }, upstream: h2, retry: { attempts: 1, backoff: 1ms, on: [reset] } }
  - { name: plain, match: { path: / }, upstream: h2 }
`)
after(async () => {
  await gw.close()
  await up.close()
})

async function retriesMetric (route: string): Promise<number> {
  const text = await (await request(`${gw.adminUrl}/metrics`)).body.text()
  const m = new RegExp(`turnpike_retries_total\\{route="${route}"\\} (\\d+)`).exec(text)
  return m === null ? 0 : Number(m[1])
}

async function send (path: string, options: Parameters<typeof request>[1] = {}): Promise<{ status: number, body: string }> {
  const res = await request(`${gw.url}${path}`, options)
  return { status: res.statusCode, body: await res.body.text() }
}

const ok = (text: string): Behaviour => (stream) => { stream.respond({ ':status': 200 }); stream.end(text) }

test('a stream reset with INTERNAL_ERROR before the answer: 502 as for a reset HTTP/1.1 connection, sent once', async () => {
  up.reset((stream) => { stream.close(constants.NGHTTP2_INTERNAL_ERROR) })
  const res = await send('/a')
  assert.equal(res.status, 502)
  assert.match(res.body, /TURNPIKE_BAD_GATEWAY/)
  assert.match(res.body, /UND_ERR_SOCKET/)
  assert.equal(up.streams(), 1)
})

test('a stream reset before the answer is a `reset` to a route\'s retry', async () => {
  up.reset((stream, n, got) => {
    if (n === 1) stream.close(constants.NGHTTP2_INTERNAL_ERROR)
    else ok('second')(stream, n, got)
  })
  const res = await send('/on-reset')
  assert.equal(res.status, 200)
  assert.equal(res.body, 'second')
  assert.equal(up.streams(), 2)
})

test('the session destroyed before the answer: 502, and no HTTP/1.1 replay on a connection of its own', async () => {
  // Warm the pool first, so the failing GET goes out on a reused session.
  up.reset(ok('warm'))
  assert.equal((await send('/warm')).status, 200)
  up.reset((stream) => { stream.session?.destroy() })
  const res = await send('/b')
  assert.equal(res.status, 502)
  assert.match(res.body, /TURNPIKE_BAD_GATEWAY/)
  assert.equal(up.streams(), 1)
  assert.equal(up.connections(), 0, 'the GET went on the pooled session; nothing else was opened')
})

test('a refused stream is sent once more on a new stream: GET, and a POST with a small body', async () => {
  for (const [method, body] of [['GET', undefined], ['POST', 'a small body']] as const) {
    up.reset((stream, n, got) => {
      if (n === 1) stream.close(constants.NGHTTP2_REFUSED_STREAM)
      else ok(`second:${got.toString()}`)(stream, n, got)
    })
    const res = await send('/c', { method, body })
    assert.equal(res.status, 200, method)
    assert.equal(res.body, `second:${body ?? ''}`, method)
    assert.equal(up.streams(), 2, method)
  }
})

test('a refused stream with a body: sent again up to 64 KiB (read whole first), a larger one streams once and answers 502', async () => {
  for (const [size, status, streams] of [[64 * 1024, 200, 2], [64 * 1024 + 1, 502, 1]] as const) {
    up.reset((stream, n, got) => {
      if (n === 1) stream.close(constants.NGHTTP2_REFUSED_STREAM)
      else ok(`second:${got.length}`)(stream, n, got)
    })
    const res = await send('/large', { method: 'POST', body: 'x'.repeat(size) })
    assert.equal(res.status, status, `${size} bytes: ${res.body}`)
    if (status === 200) assert.equal(res.body, `second:${size}`)
    assert.equal(up.streams(), streams, `${size} bytes`)
  }
})

test('a refused stream on a route with retries is not one of its retries', async () => {
  const before = await retriesMetric('retried')
  up.reset((stream, n, got) => {
    if (n === 1) stream.close(constants.NGHTTP2_REFUSED_STREAM)
    else ok(`second:${got.toString()}`)(stream, n, got)
  })
  const res = await send('/retried', { method: 'POST', body: 'once' })
  assert.equal(res.status, 200)
  assert.equal(res.body, 'second:once')
  assert.equal(up.streams(), 2)
  assert.equal(await retriesMetric('retried'), before)
})

test('a stream above the GOAWAY last stream id goes again on a new session', async () => {
  up.reset(ok('warm'))
  assert.equal((await send('/warm')).status, 200)
  up.reset((stream, n, got) => {
    // The session stops at a stream before this one: this one was never processed.
    if (n === 1) stream.session?.goaway(constants.NGHTTP2_NO_ERROR, (stream.id ?? 3) - 2)
    else ok(`second:${got.toString()}`)(stream, n, got)
  })
  const res = await send('/f', { method: 'POST', body: 'after goaway' })
  assert.equal(res.status, 200)
  assert.equal(res.body, 'second:after goaway')
  assert.equal(up.streams(), 2)
  assert.equal(up.connections(), 1, 'the second stream went on a new session')
})

test('refused twice: 502, and the upstream saw exactly two streams', async () => {
  for (const path of ['/d', '/retried']) {
    up.reset((stream) => { stream.close(constants.NGHTTP2_REFUSED_STREAM) })
    const res = await send(path, { method: 'POST', body: 'x' })
    assert.equal(res.status, 502, path)
    assert.match(res.body, /TURNPIKE_BAD_GATEWAY/, path)
    assert.equal(up.streams(), 2, path)
  }
})

test('cut after the head and part of the body (stream reset, session destroyed): the client sees a cut, not a complete answer', async () => {
  for (const [how, cut] of [
    // destroy() with an error sends RST_STREAM(INTERNAL_ERROR); close() would send END_STREAM first.
    ['the stream reset', (stream: ServerHttp2Stream) => { stream.destroy(new Error('upstream failed')) }],
    // The client's stream then ends as if complete (Node pushes EOF on close), with code CANCEL.
    ['the session destroyed', (stream: ServerHttp2Stream) => { stream.session?.destroy() }]
  ] as const) {
    up.reset((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'text/plain' })
      stream.write('part of the body', () => { setImmediate(() => { cut(stream) }) })
    })
    const res = await request(`${gw.url}/e`)
    assert.equal(res.statusCode, 200, how)
    await assert.rejects(res.body.text(), how)
    assert.equal(up.streams(), 1, how)
  }
})
