// SIGTERM to the primary of server.workers: 2 while 50 connections send: /readyz turns
// 503 at once, every worker drains (the request in flight at SIGTERM completes), no
// request fails, both workers and the primary exit, the primary with 0.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { startChildGateway, type ChildGateway } from './helpers/child.js'
import { childPids } from './helpers/cluster.js'
import { startLoad } from './helpers/load.js'

let backend: Backend
let gw: ChildGateway
let releaseSlow: () => void = () => undefined
let arrived: () => void = () => undefined
const slowArrived = new Promise<void>((resolve) => { arrived = resolve })

before(async () => {
  backend = await startBackend((req, res) => {
    if (req.url === '/slow') {
      arrived()
      releaseSlow = () => { res.end('slow done') }
      return
    }
    setTimeout(() => { res.end('ok') }, 5)
  })
  gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0, workers: 2, timeouts: { shutdown: 20s } }
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

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

test('SIGTERM under load drains every worker without a failed request and exits 0', async () => {
  const workers = childPids(gw.proc.pid as number)
  assert.equal(workers.length, 2)
  const load = startLoad(gw.url + '/load', { connections: 50 })
  await load.okAtLeast(1000)
  const slow = request(gw.url + '/slow').then(async (res) => ({ status: res.statusCode, body: await res.body.text() }))
  await slowArrived

  gw.proc.kill('SIGTERM')
  await gw.waitForLog((l) => l.msg === 'draining' && l.pid === gw.proc.pid)
  const ready = await request(gw.adminUrl + '/readyz')
  await ready.body.dump()
  assert.equal(ready.statusCode, 503, '/readyz is 503 while draining')
  for (const pid of workers) await gw.waitForLog((l) => l.msg === 'draining' && l.pid === pid)

  releaseSlow()
  assert.deepEqual(await slow, { status: 200, body: 'slow done' }, 'the request in flight at SIGTERM completes')
  const result = await load.done
  assert.deepEqual(result.failures, [], 'no request failed')
  assert.equal(await gw.exited, 0)
  for (const pid of workers) {
    assert.ok(gw.logs.some((l) => l.msg === 'turnpike stopped' && l.pid === pid), `worker ${pid} drained and stopped`)
    assert.ok(!alive(pid), `worker ${pid} is gone`)
  }
  assert.ok(gw.logs.some((l) => l.msg === 'turnpike stopped' && l.pid === gw.proc.pid))
})
