// What reaches the backend as trace context. With tracing off the gateway adds none,
// and a client's own traceparent/tracestate pass through untouched, like any other
// end-to-end header. With sampleRatio 0 nothing is exported, yet the context still
// goes upstream (flagged not sampled), so the backend's own spans can join the trace.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import { startBackend } from './helpers/backend.js'
import { BASE, startGateway } from './helpers/gateway.js'
import { startReceiver } from './helpers/otlp-receiver.js'

const TIMEOUT = { timeout: 20_000 }
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/

async function get (url: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await request(url, { headers })
  await response.body.dump()
  return response.statusCode
}

for (const [name, section] of [['left out', ''], ['enabled: false', 'tracing: { enabled: false }\n']] as const) {
  test(`tracing ${name}: the backend gets no traceparent the client did not send, and the client's unchanged`, TIMEOUT, async (t) => {
    const backend = await startBackend()
    const gw = await startGateway(`${BASE}${section}upstreams:
  u: { targets: [{ url: "${backend.url}" }] }
routes:
  - { name: r, match: { path: / }, upstream: u }
`)
    t.after(async () => { await gw.close(); await backend.close() })
    assert.equal(await get(`${gw.url}/plain`), 200)
    const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    assert.equal(await get(`${gw.url}/traced`, { traceparent: incoming, tracestate: 'congo=t61rcWkgMzE' }), 200)
    const [plain, traced] = backend.seen
    assert.equal(plain?.headers.traceparent, undefined)
    assert.equal(plain?.headers.tracestate, undefined)
    assert.equal(traced?.headers.traceparent, incoming)
    assert.equal(traced?.headers.tracestate, 'congo=t61rcWkgMzE')
  })
}

test('sampleRatio 0 exports nothing but still propagates a context, flagged not sampled', TIMEOUT, async (t) => {
  const receiver = await startReceiver()
  const backend = await startBackend()
  const gw = await startGateway(`${BASE}tracing: { enabled: true, endpoint: "${receiver.url}", sampleRatio: 0 }
upstreams:
  u: { targets: [{ url: "${backend.url}" }] }
routes:
  - { name: r, match: { path: / }, upstream: u }
`)
  t.after(async () => { await gw.close(); await backend.close(); await receiver.close() })
  for (let i = 0; i < 5; i++) assert.equal(await get(`${gw.url}/x`), 200)
  await gw.close() // would flush anything sampled
  assert.equal(receiver.posts, 0)
  assert.equal(backend.seen.length, 5)
  const traceIds = new Set<string>()
  for (const seen of backend.seen) {
    const m = TRACEPARENT.exec(String(seen.headers.traceparent))
    assert.ok(m !== null, `a traceparent: ${String(seen.headers.traceparent)}`)
    assert.equal(m[3], '00', 'not sampled')
    assert.notEqual(m[1], '0'.repeat(32))
    traceIds.add(m[1] as string)
  }
  assert.equal(traceIds.size, 5, 'a trace per request')
})

test('sampleRatio 0 still follows a caller that sampled its trace (ParentBased)', TIMEOUT, async (t) => {
  const receiver = await startReceiver()
  const backend = await startBackend()
  const gw = await startGateway(`${BASE}tracing: { enabled: true, endpoint: "${receiver.url}", sampleRatio: 0 }
upstreams:
  u: { targets: [{ url: "${backend.url}" }] }
routes:
  - { name: r, match: { path: / }, upstream: u }
`)
  t.after(async () => { await gw.close(); await backend.close(); await receiver.close() })
  assert.equal(await get(`${gw.url}/x`, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }), 200)
  await gw.close()
  assert.deepEqual(receiver.spans.map((s) => s.traceId), ['0af7651916cd43dd8448eb211c80319c', '0af7651916cd43dd8448eb211c80319c'])
  assert.match(String(backend.seen[0]?.headers.traceparent), /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/)
})
