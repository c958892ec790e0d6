// The exporter's life: spans wait in the batch until shutdown flushes them; a collector
// that is down changes nothing for clients; a reload can turn tracing on, move it to
// another endpoint (the old provider flushes once its requests are done) or turn it off.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'
import { SERVER, startReceiver } from './helpers/otlp-receiver.js'

// No batch is due during a test: only a flush can export (read when a provider is built).
process.env.OTEL_BSP_SCHEDULE_DELAY = String(60 * 60 * 1000)

const TIMEOUT = { timeout: 20_000 }

const config = (backend: Backend, tracing: string): string => `${BASE}${tracing}
upstreams:
  u: { targets: [{ url: "${backend.url}" }] }
routes:
  - { name: r, match: { path: / }, upstream: u }
`

async function get (gw: TestGateway, path = '/x'): Promise<number> {
  const response = await request(`${gw.url}${path}`)
  await response.body.dump()
  return response.statusCode
}

async function reload (gw: TestGateway, yaml: string): Promise<void> {
  await writeFile(gw.file, yaml)
  const result = await gw.gateway.reload('test')
  assert.equal(result.result, 'success', result.error)
}

test('shutdown flushes the spans still waiting in the batch', TIMEOUT, async (t) => {
  const receiver = await startReceiver()
  const backend = await startBackend()
  const gw = await startGateway(config(backend, `tracing: { enabled: true, endpoint: "${receiver.url}" }`))
  t.after(async () => { await gw.close(); await backend.close(); await receiver.close() })
  for (let i = 0; i < 3; i++) assert.equal(await get(gw), 200)
  assert.equal(receiver.posts, 0, 'nothing exported before the shutdown')
  await gw.close()
  assert.equal(receiver.spans.filter((s) => s.kind === SERVER).length, 3)
  assert.equal(receiver.spans.length, 6)
})

test('a collector that is down never affects requests or the shutdown', TIMEOUT, async (t) => {
  const backend = await startBackend()
  const gw = await startGateway(config(backend, 'tracing: { enabled: true, endpoint: "http://127.0.0.1:1/v1/traces" }'))
  t.after(async () => { await gw.close(); await backend.close() })
  for (let i = 0; i < 20; i++) assert.equal(await get(gw), 200)
  await gw.close() // the flush fails; the shutdown still completes
  assert.equal(backend.seen.length, 20)
})

test('a reload turns tracing on, moves it to a new endpoint, and turns it off', TIMEOUT, async (t) => {
  const first = await startReceiver()
  const second = await startReceiver()
  const backend = await startBackend()
  const gw = await startGateway(config(backend, ''))
  t.after(async () => { await gw.close(); await backend.close(); await first.close(); await second.close() })

  assert.equal(await get(gw, '/off'), 200)
  assert.equal(backend.seen[0]?.headers.traceparent, undefined)

  await reload(gw, config(backend, `tracing: { enabled: true, endpoint: "${first.url}" }`))
  assert.equal(await get(gw, '/first'), 200)
  assert.ok(backend.seen[1]?.headers.traceparent !== undefined, 'traced after the reload')

  // The first provider is replaced: with its generation idle it flushes and stops.
  await reload(gw, config(backend, `tracing: { enabled: true, endpoint: "${second.url}" }`))
  await first.waitForSpans(2)
  assert.equal(await get(gw, '/second'), 200)

  await reload(gw, config(backend, 'tracing: { enabled: false }'))
  assert.equal(await get(gw, '/off-again'), 200)
  assert.equal(backend.seen[3]?.headers.traceparent, undefined)
  await second.waitForSpans(2) // flushed when tracing went off
  await gw.close()

  const paths = (spans: typeof first.spans): string[] => spans.filter((s) => s.kind === SERVER).map((s) => String(s.attributes['url.path']))
  assert.deepEqual(paths(first.spans), ['/first'])
  assert.deepEqual(paths(second.spans), ['/second'])
})

test('a reload that leaves tracing as it was keeps the provider and its pending spans', TIMEOUT, async (t) => {
  const receiver = await startReceiver()
  const backend = await startBackend()
  const tracing = `tracing: { enabled: true, endpoint: "${receiver.url}", sampleRatio: 1 }`
  const gw = await startGateway(config(backend, tracing))
  t.after(async () => { await gw.close(); await backend.close(); await receiver.close() })
  assert.equal(await get(gw, '/before'), 200)
  await reload(gw, config(backend, tracing).replace('name: r,', 'name: renamed,'))
  assert.equal(await get(gw, '/after'), 200)
  assert.equal(receiver.posts, 0, 'the reload flushed nothing: the same provider goes on')
  await gw.close()
  assert.deepEqual(receiver.spans.filter((s) => s.kind === SERVER).map((s) => s.name), ['GET r', 'GET renamed'])
})
