// Server-sent events and chunked responses reach the client as the upstream flushes
// them. The backend sends the next piece only after the client has seen the
// previous one, so a gateway that buffered would stall the test rather than pass it:
// no timing assumptions, only the test timeout as a backstop.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { ServerResponse } from 'node:http'
import { after, before, test } from 'node:test'
import type { Readable } from 'node:stream'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

const STALL = { timeout: 10_000 }

let backend: Backend
let gw: TestGateway
/** The backend's open responses, in arrival order; each test takes the one it opened. */
const opened: ServerResponse[] = []
const openWaiters: Array<(res: ServerResponse) => void> = []

async function nextUpstreamResponse (): Promise<ServerResponse> {
  const ready = opened.shift()
  if (ready !== undefined) return ready
  return await new Promise((resolve) => openWaiters.push(resolve))
}

/** Reads a streamed body piece by piece: `until` resolves once `text` appears. */
class BodyReader {
  private readonly it: AsyncIterator<Buffer>
  text = ''
  reads = 0

  constructor (body: Readable) {
    this.it = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  }

  async until (expected: string): Promise<void> {
    while (!this.text.includes(expected)) {
      const { value, done } = await this.it.next()
      if (done === true) throw new Error(`stream ended before ${JSON.stringify(expected)}; got ${JSON.stringify(this.text)}`)
      this.text += value.toString('utf8')
      this.reads++
    }
  }

  async end (): Promise<void> {
    for (;;) {
      const { value, done } = await this.it.next()
      if (done === true) return
      this.text += (value as Buffer).toString('utf8')
    }
  }
}

before(async () => {
  backend = await startBackend((req, res) => {
    const type = req.url?.startsWith('/events') === true ? 'text/event-stream' : 'application/x-ndjson'
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' })
    res.flushHeaders()
    const waiter = openWaiters.shift()
    if (waiter !== undefined) waiter(res)
    else opened.push(res)
  })
  gw = await startGateway(`${BASE}
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - name: events
    match: { path: /events }
    upstream: app
  - name: feed
    match: { path: /feed }
    upstream: app
`)
})

after(async () => {
  await gw.close()
  await backend.close()
})

test('each SSE event reaches the client before the upstream sends the next', STALL, async () => {
  const pending = request(`${gw.url}/events`, { headers: { accept: 'text/event-stream', 'accept-encoding': 'gzip, br' } })
  const upstream = await nextUpstreamResponse()
  const res = await pending
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['content-type'], 'text/event-stream')
  assert.equal(res.headers['content-length'], undefined)
  assert.equal(res.headers['content-encoding'], undefined)
  const reader = new BodyReader(res.body)
  for (let i = 1; i <= 5; i++) {
    upstream.write(`id: ${i}\nevent: tick\ndata: {"n":${i}}\n\n`)
    await reader.until(`data: {"n":${i}}\n\n`)
  }
  upstream.end()
  await reader.end()
  assert.equal(reader.text.split('\n\n').filter((e) => e !== '').length, 5)
})

test('an SSE event written in pieces is relayed piece by piece', STALL, async () => {
  const pending = request(`${gw.url}/events`)
  const upstream = await nextUpstreamResponse()
  const res = await pending
  const reader = new BodyReader(res.body)
  upstream.write('data: first half')
  await reader.until('data: first half')
  upstream.write(', second half\n\n')
  await reader.until('data: first half, second half\n\n')
  upstream.end()
  await reader.end()
})

test('each chunk of a chunked response reaches the client before the next is sent', STALL, async () => {
  const pending = request(`${gw.url}/feed`)
  const upstream = await nextUpstreamResponse()
  const res = await pending
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['content-type'], 'application/x-ndjson')
  assert.equal(res.headers['content-length'], undefined)
  assert.equal(res.headers['transfer-encoding'], 'chunked')
  const reader = new BodyReader(res.body)
  for (let i = 1; i <= 5; i++) {
    upstream.write(`{"line":${i}}\n`)
    await reader.until(`{"line":${i}}\n`)
  }
  upstream.end()
  await reader.end()
  assert.equal(reader.text, [1, 2, 3, 4, 5].map((i) => `{"line":${i}}\n`).join(''))
})

test('a client leaving an SSE stream closes the upstream stream', STALL, async () => {
  const abort = new AbortController()
  const pending = request(`${gw.url}/events`, { signal: abort.signal })
  const upstream = await nextUpstreamResponse()
  const res = await pending
  const reader = new BodyReader(res.body)
  upstream.write('data: hello\n\n')
  await reader.until('data: hello\n\n')
  const closed = once(upstream, 'close')
  abort.abort()
  await closed
  assert.equal(upstream.writableFinished, false)
})
