// server.workers: 2 as `turnpike start` runs it: a primary that serves no traffic and two
// worker processes (their PIDs from /proc) sharing the port, connections spread over
// both; /metrics, /stats and /backends describe the whole gateway; a worker killed with
// SIGKILL is replaced while requests keep succeeding, with backoff when it keeps dying.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { startChildGateway, type ChildGateway } from './helpers/child.js'
import { adminJson, childPids, fresh, linesOf, waitForLines } from './helpers/cluster.js'

let backend: Backend
let gw: ChildGateway

interface Stats {
  requests: { total: number, byClass: Record<string, number> }
  routes: Array<{ name: string, requests: number }>
  workers: Array<{ id: number, pid: number, up: boolean, restarts: number }>
}

before(async () => {
  backend = await startBackend((_req, res) => { res.end('ok') })
  gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0, workers: 2 }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: true }
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

const access = (): number[] => linesOf(gw, (l) => l.msg === 'access').map((l) => l.pid as number)

test('two worker processes serve the port; the primary serves none of it', async () => {
  const primary = gw.proc.pid as number
  const workers = childPids(primary)
  assert.equal(workers.length, 2, `two children of the primary in /proc: ${workers.join(',')}`)
  const stats = await adminJson<Stats>(gw, '/stats')
  assert.deepEqual(stats.workers.map((w) => w.pid).sort((a, b) => a - b), workers)
  assert.deepEqual(stats.workers.map((w) => [w.id, w.up, w.restarts]), [[1, true, 0], [2, true, 0]])

  for (let i = 0; i < 40; i++) assert.equal((await fresh(gw.url + '/x')).status, 200)
  await waitForLines(gw, (l) => l.msg === 'access', 40)
  const servedBy = new Set(access())
  assert.deepEqual([...servedBy].sort((a, b) => a - b), workers, 'each worker served some of the 40 connections')
  assert.ok(!servedBy.has(primary))
})

test('/metrics sums the workers\' counters and merges histograms; process metrics carry worker', async () => {
  const text = await (await request(gw.adminUrl + '/metrics')).body.text()
  assert.match(text, /^turnpike_requests_total\{route="app",method="GET",status="200",protocol="http1"\} 40$/m)
  assert.match(text, /^turnpike_request_duration_seconds_count\{route="app",method="GET",protocol="http1"\} 40$/m)
  assert.match(text, /^turnpike_request_duration_seconds_bucket\{le="\+Inf",route="app",method="GET",protocol="http1"\} 40$/m)
  for (const worker of ['primary', '1', '2']) assert.match(text, new RegExp(`^process_cpu_user_seconds_total\\{worker="${worker}"\\} `, 'm'))
  assert.match(text, /^turnpike_worker_restarts_total 0$/m)
  const stats = await adminJson<Stats>(gw, '/stats')
  assert.equal(stats.requests.total, 40)
  assert.equal(stats.routes[0]?.requests, 40)
  const backends = await adminJson<{ upstreams: { app: { targets: Array<{ healthy: boolean, breaker: string }> } } }>(gw, '/backends')
  assert.deepEqual(backends.upstreams.app.targets.map((t) => [t.healthy, t.breaker]), [[true, 'closed']])
})

test('a worker killed with SIGKILL is replaced while requests keep succeeding', async () => {
  const primary = gw.proc.pid as number
  const [victim, survivor] = childPids(primary) as [number, number]
  process.kill(victim, 'SIGKILL')
  const died = await gw.waitForLog((l) => l.workerPid === victim && l.signal === 'SIGKILL')
  assert.match(died.msg, /exited \(signal SIGKILL\); replacing it/)
  // The survivor takes every connection while the replacement starts.
  for (let i = 0; i < 20; i++) assert.equal((await fresh(gw.url + '/x')).status, 200)
  await gw.waitForLog((l) => l.msg === 'worker ready' && l.worker === died.worker && l.workerPid !== victim)
  const now = childPids(primary)
  assert.equal(now.length, 2)
  assert.ok(now.includes(survivor) && !now.includes(victim), `replaced: ${now.join(',')}`)
  for (let i = 0; i < 20; i++) assert.equal((await fresh(gw.url + '/x')).status, 200)
  const stats = await adminJson<Stats>(gw, '/stats')
  assert.equal(stats.workers.find((w) => w.id === died.worker)?.restarts, 1)
  const text = await (await request(gw.adminUrl + '/metrics')).body.text()
  assert.match(text, /^turnpike_worker_restarts_total 1$/m)

  // Dying young again: the next replacement waits (exponential backoff), it does not spin.
  const replacement = now.find((p) => p !== survivor) as number
  process.kill(replacement, 'SIGKILL')
  const again = await gw.waitForLog((l) => l.workerPid === replacement && l.signal === 'SIGKILL')
  assert.ok((again.restartInMs as number) >= 500, `backoff ${String(again.restartInMs)} ms`)
  await gw.waitForLog((l) => l.msg === 'worker ready' && l.worker === died.worker && l.workerPid !== replacement && l.workerPid !== victim)
  assert.equal((await fresh(gw.url + '/x')).status, 200)
})
