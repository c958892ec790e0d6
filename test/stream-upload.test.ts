// Uploads and downloads stream through the gateway with bounded memory
// (bodies stream in both directions): a 1 GiB body in either direction must not be
// buffered. Client, gateway and backend share this process, so the RSS sampled here
// covers all three; a buffering proxy would grow it by the full gigabyte.
import assert from 'node:assert/strict'
import { after, before, test, type TestContext } from 'node:test'
import { Readable } from 'node:stream'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

const GiB = 1024 ** 3
const CHUNK = 64 * 1024
/** Peak RSS growth allowed over the baseline; buffering 1 GiB would blow far past it. */
const MAX_GROWTH = 200 * 1024 ** 2

let sink: Backend
let source: Backend
let gw: TestGateway

/** Yields `total` bytes as 64 KiB chunks of one reused buffer: nothing large is allocated. */
function generated (total: number): Readable {
  const block = Buffer.alloc(CHUNK, 0x61)
  let left = total
  return new Readable({
    read () {
      if (left === 0) {
        this.push(null)
        return
      }
      const n = Math.min(CHUNK, left)
      left -= n
      this.push(n === CHUNK ? block : block.subarray(0, n))
    }
  })
}

/** Samples process RSS until stopped; resolves with the peak growth over the start. */
function watchMemory (): { stop: () => { peakGrowth: number } } {
  const base = process.memoryUsage.rss()
  let peak = base
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, 25)
  return {
    stop () {
      clearInterval(timer)
      peak = Math.max(peak, process.memoryUsage.rss())
      return { peakGrowth: peak - base }
    }
  }
}

const MB = (n: number): string => `${(n / 1024 ** 2).toFixed(1)} MB`
const report = (seconds: number, peakGrowth: number): string =>
  `1 GiB in ${seconds.toFixed(1)} s (${(GiB / 1024 ** 2 / seconds).toFixed(0)} MB/s), peak RSS growth ${MB(peakGrowth)}`

before(async () => {
  // Counts what arrives and answers with the count once the upload has ended.
  sink = await startBackend((req, res) => {
    let bytes = 0
    req.on('data', (chunk: Buffer) => { bytes += chunk.length })
    req.on('end', () => {
      const body = JSON.stringify({ bytes, chunked: req.headers['transfer-encoding'] === 'chunked', length: req.headers['content-length'] ?? null })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
  })
  // Streams 1 GiB back, honouring backpressure, without a Content-Length (chunked).
  source = await startBackend((req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    generated(Number(new URL(req.url ?? '/', 'http://x').searchParams.get('bytes'))).pipe(res)
  })
  gw = await startGateway(`${BASE.replace('port: 0 }', 'port: 0, bodyLimit: 2gb }')}
upstreams:
  sink: { targets: [{ url: ${sink.url} }] }
  source: { targets: [{ url: ${source.url} }] }
routes:
  - name: upload
    match: { path: /upload }
    upstream: sink
  - name: download
    match: { path: /download }
    upstream: source
`)
})

after(async () => {
  await gw.close()
  await sink.close()
  await source.close()
})

async function upload (t: TestContext, headers: Record<string, string>): Promise<void> {
  const memory = watchMemory()
  const started = performance.now()
  const res = await request(`${gw.url}/upload`, { method: 'POST', headers, body: generated(GiB) })
  const seen = await res.body.json() as { bytes: number, chunked: boolean, length: string | null }
  const seconds = (performance.now() - started) / 1000
  const { peakGrowth } = memory.stop()
  t.diagnostic(report(seconds, peakGrowth))
  assert.equal(res.statusCode, 200)
  assert.equal(seen.bytes, GiB)
  if (headers['content-length'] !== undefined) assert.equal(seen.length, String(GiB))
  else assert.equal(seen.chunked, true)
  assert.ok(peakGrowth < MAX_GROWTH, `peak RSS growth ${MB(peakGrowth)} over ${MB(MAX_GROWTH)}`)
}

test('a 1 GiB upload with Content-Length streams through in bounded memory', async (t) => {
  await upload(t, { 'content-length': String(GiB), 'content-type': 'application/octet-stream' })
})

test('a 1 GiB chunked upload (no Content-Length) streams through in bounded memory', async (t) => {
  await upload(t, { 'content-type': 'application/octet-stream' })
})

test('a 1 GiB download streams through in bounded memory', async (t) => {
  const memory = watchMemory()
  const started = performance.now()
  const res = await request(`${gw.url}/download?bytes=${GiB}`)
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['content-length'], undefined)
  let bytes = 0
  for await (const chunk of res.body) bytes += (chunk as Buffer).length
  const seconds = (performance.now() - started) / 1000
  const { peakGrowth } = memory.stop()
  t.diagnostic(report(seconds, peakGrowth))
  assert.equal(bytes, GiB)
  assert.ok(peakGrowth < MAX_GROWTH, `peak RSS growth ${MB(peakGrowth)} over ${MB(MAX_GROWTH)}`)
})
