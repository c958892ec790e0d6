// SIGTERM while 50 connections send: /readyz turns 503 at once, every request the
// gateway accepted completes, and the process exits 0 within timeouts.shutdown.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { startChildGateway, type ChildGateway } from './helpers/child.js'
import { startLoad } from './helpers/load.js'

let backend: Backend
let gw: ChildGateway
let releaseSlow: () => void = () => undefined
let slowArrivedResolve: () => void = () => undefined
const slowArrived = { promise: new Promise<void>((resolve) => { slowArrivedResolve = resolve }), resolve: () => { slowArrivedResolve() } }

before(async () => {
  backend = await startBackend((req, res) => {
    if (req.url === '/slow') {
      // Held open until the test has seen the drain begin.
      slowArrived.resolve()
      releaseSlow = () => { res.end('slow done') }
      return
    }
    setTimeout(() => { res.end('ok') }, 5) // a little latency keeps requests in flight
  })
  gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0, timeouts: { shutdown: 20s } }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: false }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
})

after(async () => {
  await gw.close()
  await backend.close()
})

test('SIGTERM under load drains without a failed request and exits 0', async () => {
  const load = startLoad(gw.url + '/load', { connections: 50 })
  await load.okAtLeast(1000)
  const slow = request(gw.url + '/slow').then(async (res) => ({ status: res.statusCode, body: await res.body.text() }))
  await slowArrived.promise

  gw.proc.kill('SIGTERM')
  await gw.waitForLog((l) => l.msg === 'draining')
  const ready = await request(gw.adminUrl + '/readyz')
  await ready.body.dump()
  assert.equal(ready.statusCode, 503, '/readyz is 503 while draining')
  const okAtSigterm = load.result.ok

  releaseSlow()
  assert.deepEqual(await slow, { status: 200, body: 'slow done' }, 'the request in flight at SIGTERM completes')
  const result = await load.done // every loop ends once the listener refuses it
  assert.deepEqual(result.failures, [], 'no request failed')
  assert.ok(result.ok >= okAtSigterm)
  assert.equal(await gw.exited, 0)
  assert.ok(gw.logs.some((l) => l.msg === 'turnpike stopped'))
})
