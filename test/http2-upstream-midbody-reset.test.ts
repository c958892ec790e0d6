// An HTTP/2 upstream (`protocol: h2c`) that resets a stream with NO_ERROR after the
// answer's head but before END_STREAM: the answer is incomplete, whatever the code, so
// the client sees a cut (HTTP/1.1: the connection closed before the body's end; HTTP/2:
// its stream reset), logged and counted as a reset with an error code is. The same reset
// after END_STREAM only stops the request's upload (RFC 9113 §8.1): the answer is
// complete, the client gets all of it, and the rest of its upload is read and dropped.
// And a long upload's waits for the stream's window leave no listeners behind.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { constants, createServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'
import net, { type AddressInfo } from 'node:net'
import { after, test } from 'node:test'
import { request } from 'undici'
import { startGateway, type TestGateway } from './helpers/gateway.js'
import { openSession } from './helpers/h2-client.js'
import { LogCapture } from './helpers/log-capture.js'

/** What the upstream does with a stream (at once, before reading any request body). */
type Answer = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void

interface Deferred { readonly promise: Promise<void>, resolve: () => void }
function deferred (): Deferred {
  let resolve = (): void => undefined
  const promise = new Promise<void>((r) => { resolve = r })
  return { promise, resolve }
}

const PART = 'part of the body'

let answer: Answer = (stream) => { stream.respond({ ':status': 200 }); stream.end('ok') }
const server: Http2Server = createServer()
const sessions = new Set<ServerHttp2Session>()
server.on('session', (session) => { sessions.add(session.once('close', () => sessions.delete(session))) })
server.on('sessionError', () => undefined)
server.on('stream', (stream, headers) => {
  stream.on('error', () => undefined)
  answer(stream, headers)
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const upstreamPort = (server.address() as AddressInfo).port

const logs = new LogCapture()
const gw: TestGateway = await startGateway(`
server: { host: 127.0.0.1, port: 0, http2: true }
admin: { host: 127.0.0.1, port: 0, token: t }
logging: { level: info, accessLog: true }
upstreams:
  h2: { protocol: h2c, targets: [{ url: http://127.0.0.1:${upstreamPort} }] }
routes:
  - { name: plain, match: { path: / }, upstream: h2 }
`, { logger: logs.logger })
after(async () => {
  await gw.close()
  for (const session of sessions) session.destroy()
  await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
})

/**
 * The head and PART, then, once `cut` resolves (the client has PART), RST_STREAM and no
 * END_STREAM: destroy() sends exactly that, with NO_ERROR, or INTERNAL_ERROR when given
 * an error. (close(code) would send END_STREAM first: a complete answer.)
 */
function cutAfterPart (cut: Promise<void>, headers: Record<string, string> = {}, withError = false): Answer {
  return (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'text/plain', ...headers })
    stream.write(PART)
    void cut.then(() => { stream.destroy(withError ? new Error('upstream failed') : undefined) })
  }
}

test('RST_STREAM(NO_ERROR) mid-body, HTTP/1.1 client: the chunked body is never terminated, the client sees an error', async () => {
  const cut = deferred()
  answer = cutAfterPart(cut.promise)
  const res = await request(`${gw.url}/chunked`)
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['content-length'], undefined)
  let got = ''
  await assert.rejects(async () => {
    for await (const chunk of res.body) {
      got += (chunk as Buffer).toString()
      if (got === PART) cut.resolve()
    }
  }, 'a cut, not the end of the body')
  assert.equal(got, PART)
})

test('RST_STREAM(NO_ERROR) mid-body with a Content-Length, HTTP/1.1 client: the connection closes short, the next answer is not read into this body', async () => {
  const cut = deferred()
  answer = (stream, headers) => {
    if (headers[':path'] === '/next') {
      stream.respond({ ':status': 200, 'content-length': '4' })
      stream.end('next')
    } else {
      cutAfterPart(cut.promise, { 'content-length': '100' })(stream, headers)
    }
  }
  // Two requests pipelined on one connection: had the first answer ended "cleanly" short
  // of its Content-Length, the second would follow it on the same connection.
  const socket = net.connect(gw.port, '127.0.0.1')
  socket.on('error', () => undefined)
  let raw = ''
  socket.on('data', (chunk: Buffer) => {
    raw += chunk.toString('latin1')
    if (raw.endsWith(PART)) cut.resolve()
  })
  socket.write('GET /cl HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
  await once(socket, 'close')
  assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/)
  assert.match(raw, /\r\ncontent-length: 100\r\n/i)
  assert.equal(raw.match(/HTTP\/1\.1 /g)?.length, 1, `one answer only, cut short: ${raw}`)
  assert.ok(raw.endsWith(`\r\n\r\n${PART}`), raw)
})

test('RST_STREAM(NO_ERROR) mid-body, HTTP/2 client: its stream is reset, not ended (with and without a Content-Length)', async () => {
  const session = await openSession(gw.url)
  try {
    for (const headers of [{}, { 'content-length': '100' }] as Array<Record<string, string>>) {
      const cut = deferred()
      answer = cutAfterPart(cut.promise, headers)
      const stream = session.request({ ':method': 'GET', ':path': '/h2' })
      stream.on('error', () => undefined)
      const closed = new Promise((resolve) => stream.once('close', resolve))
      let status = 0
      let got = ''
      stream.on('response', (head) => { status = Number(head[':status']) })
      stream.on('data', (chunk: Buffer) => {
        got += chunk.toString()
        if (got === PART) cut.resolve()
      })
      await closed
      const label = JSON.stringify(headers)
      assert.equal(status, 200, label)
      assert.equal(got, PART, label)
      assert.notEqual(stream.rstCode, constants.NGHTTP2_NO_ERROR, `${label}: reset with an error code, so not a complete answer`)
    }
  } finally {
    session.close()
  }
})

/** turnpike_requests_total of the route, GET and 200, from HTTP/1.1 clients. */
async function answered200 (): Promise<number> {
  const text = await (await request(`${gw.adminUrl}/metrics`)).body.text()
  const m = /turnpike_requests_total\{route="plain",method="GET",status="200",protocol="http1"\} (\d+)/.exec(text)
  return m === null ? 0 : Number(m[1])
}

test('a NO_ERROR cut is logged and counted as a cut with an error code is', async () => {
  const seen: unknown[] = []
  for (const [path, withError] of [['/cut-internal', true], ['/cut-no-error', false]] as const) {
    const before = await answered200()
    const cut = deferred()
    answer = cutAfterPart(cut.promise, {}, withError)
    const res = await request(`${gw.url}${path}`)
    await assert.rejects(async () => {
      for await (const _ of res.body) cut.resolve()
    }, path)
    // A request after it, and its access line: whatever the cut logs is written by then.
    answer = (stream) => { stream.respond({ ':status': 200 }); stream.end('ok') }
    await (await request(`${gw.url}${path}/after`)).body.text()
    await logs.waitFor((l) => l.msg === 'access' && l.path === `${path}/after`)
    const lines = logs.lines.filter((l) => l.msg === 'access' && l.path === path).map((l) => ({ status: l.status, bytes: l.bytes }))
    seen.push({ lines, counted: await answered200() - before - 1 })
  }
  assert.deepEqual(seen[1], seen[0])
})

/**
 * The whole answer with END_STREAM as soon as the request's head is in, then
 * RST_STREAM(NO_ERROR) to stop the upload: close() waits for the end to be sent.
 * `reset` resolves once the stream is closed on the upstream's side.
 */
function answerThenStopUpload (reset: Deferred): Answer {
  return (stream) => {
    stream.respond({ ':status': 200, 'content-length': '15' })
    stream.end('complete answer')
    stream.close(constants.NGHTTP2_NO_ERROR)
    stream.once('close', reset.resolve)
  }
}

const CHUNK = Buffer.alloc(16 * 1024, 'u')
const CHUNKS = 64 // 1 MiB: well past what is read whole or fits in a window

// Without the drain these stall (the client's upload is never read): a bound, not a timing.
const STALL = { timeout: 15_000 }

test('a complete answer, then RST_STREAM(NO_ERROR) while an HTTP/1.1 client still uploads: the client gets all of it, and its connection serves the next request', STALL, async () => {
  const reset = deferred()
  answer = answerThenStopUpload(reset)
  const socket = net.connect(gw.port, '127.0.0.1')
  socket.on('error', () => undefined)
  let raw = ''
  socket.on('data', (chunk: Buffer) => { raw += chunk.toString('latin1') })
  const closed = once(socket, 'close')
  socket.write(`PUT /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${CHUNK.length * CHUNKS}\r\n\r\n`)
  socket.write(CHUNK)
  await reset.promise // the upstream has answered and reset: the rest of the body goes after that
  for (let i = 1; i < CHUNKS; i++) {
    if (!socket.write(CHUNK)) await once(socket, 'drain')
  }
  answer = (stream) => { stream.respond({ ':status': 200, 'content-length': '5' }); stream.end('again') }
  socket.write('GET /again HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
  await closed
  const answers = raw.split(/(?=HTTP\/1\.1 )/)
  assert.equal(answers.length, 2, raw)
  assert.match(answers[0] as string, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\ncomplete answer$/)
  assert.match(answers[1] as string, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nagain$/)
})

test('a complete answer, then RST_STREAM(NO_ERROR) while an HTTP/2 client still uploads: the client gets all of it, ended', STALL, async () => {
  const reset = deferred()
  answer = answerThenStopUpload(reset)
  const session = await openSession(gw.url)
  try {
    const stream = session.request({ ':method': 'PUT', ':path': '/upload' })
    stream.on('error', () => undefined)
    const closed = new Promise((resolve) => stream.once('close', resolve))
    let status = 0
    let got = ''
    let ended = false
    stream.on('response', (head) => { status = Number(head[':status']) })
    stream.on('data', (chunk: Buffer) => { got += chunk.toString() })
    stream.on('end', () => { ended = true })
    stream.write(CHUNK)
    await reset.promise
    for (let i = 1; i < CHUNKS && !stream.destroyed; i++) {
      if (!stream.write(CHUNK)) await Promise.race([once(stream, 'drain'), closed])
    }
    if (!stream.destroyed) stream.end()
    await closed
    assert.equal(status, 200)
    assert.equal(got, 'complete answer')
    assert.ok(ended, 'the answer ended')
    assert.equal(stream.rstCode, constants.NGHTTP2_NO_ERROR)
  } finally {
    session.close()
  }
})

test('a long upload to an HTTP/2 upstream: each wait for its flow-control window gives its listeners back', async () => {
  const warnings: Error[] = []
  const onWarning = (w: Error): void => { warnings.push(w) }
  process.on('warning', onWarning)
  try {
    answer = (stream) => {
      let seen = 0
      stream.on('data', (chunk: Buffer) => { seen += chunk.length })
      stream.on('end', () => {
        stream.respond({ ':status': 200 })
        stream.end(String(seen))
      })
    }
    const size = 4 * 1024 * 1024
    const res = await request(`${gw.url}/long-upload`, { method: 'PUT', body: Buffer.alloc(size) })
    assert.equal(res.statusCode, 200)
    assert.equal(await res.body.text(), String(size))
    // Node warns once a stream holds more than 10 'close' listeners: a leak of one per wait.
    assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map(String), [])
  } finally {
    process.off('warning', onWarning)
  }
})
