// The last line of defence: an exception thrown while Node hands a request, an
// upgrade or an Expect: 100-continue to our code answers that one request 500, is
// counted in turnpike_internal_errors_total and logged; the process carries on.
// The throw is planted in the generation's request handler, the one seam every such
// event goes through.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { GenerationApp } from '../src/app.js'
import { startBackend, type Backend } from './helpers/backend.js'
import { edgeYaml } from './helpers/edge-socket.js'
import { startGateway, type TestGateway } from './helpers/gateway.js'
import { rawRequest } from './helpers/raw.js'

let a: Backend
let gw: TestGateway

before(async () => {
  a = await startBackend()
  gw = await startGateway(edgeYaml('', `
upstreams:
  a: { targets: [{ url: ${a.url} }] }
routes:
  - { name: public, match: { path: /public }, upstream: a }
  - { name: socket, match: { path: /ws }, upstream: a, websocket: true }
`))
})

after(async () => {
  await gw.close()
  await a.close()
})

async function caught (event: string): Promise<number> {
  const metric = await gw.gateway.metrics.internalErrorsTotal.get()
  return metric.values.find((v) => v.labels.event === event)?.value ?? 0
}

/** Runs `fn` while the generation's handler throws for paths containing `/boom`. */
async function withBrokenHandler<T> (fn: () => Promise<T>): Promise<T> {
  const generation = gw.gateway.generation as unknown as { built: GenerationApp }
  const built = generation.built
  generation.built = {
    ...built,
    handle: (req, res) => {
      if (req.url?.includes('/boom') === true) throw new Error('planted failure')
      built.handle(req, res)
    }
  }
  try {
    return await fn()
  } finally {
    generation.built = built
  }
}

test('a throw while handling a request answers it 500 and the gateway carries on', async () => {
  const before = await caught('request')
  const res = await withBrokenHandler(async () => await rawRequest(gw.port, 'GET /public/boom HTTP/1.1\r\nHost: gw.test\r\n\r\n'))
  assert.equal(res.status, 500, res.raw)
  assert.match(res.body, /"code":"TURNPIKE_INTERNAL"/)
  assert.match(res.head, /connection: close/i)
  assert.equal(await caught('request'), before + 1)
  const ok = await rawRequest(gw.port, 'GET /public/fine HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n')
  assert.equal(ok.status, 200)
})

test('only the request that threw gets the 500: the one before it on the connection keeps its answer', async () => {
  const res = await withBrokenHandler(async () => await rawRequest(gw.port,
    'GET /public/first HTTP/1.1\r\nHost: gw.test\r\n\r\nGET /public/boom HTTP/1.1\r\nHost: gw.test\r\n\r\n'))
  assert.deepEqual([...res.raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]), ['200', '500'], res.raw)
})

test('a throw while handling an upgrade answers the handshake 500', async () => {
  const before = await caught('upgrade')
  const res = await withBrokenHandler(async () => await rawRequest(gw.port, 'GET /ws/boom HTTP/1.1\r\nHost: gw.test\r\n' +
    'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'))
  assert.equal(res.status, 500, res.raw)
  assert.equal(await caught('upgrade'), before + 1)
})

test('a throw while handling an Expect: 100-continue request answers it 500', async () => {
  // checkContinue hands the request on as a 'request' event, where the throw is caught.
  const before = await caught('request')
  const res = await withBrokenHandler(async () => await rawRequest(gw.port, 'POST /public/boom HTTP/1.1\r\nHost: gw.test\r\n' +
    'Content-Length: 5\r\nExpect: 100-continue\r\n\r\n'))
  assert.equal(res.status, 500, res.raw)
  assert.doesNotMatch(res.raw, /100 Continue/, 'no 100 for a request that failed')
  assert.equal(await caught('request'), before + 1)
})
