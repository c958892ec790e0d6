// Reloads with server.workers: 2. The primary loads and validates once; every worker
// builds the new generation and they switch together, by file change, SIGHUP or
// POST /reload. A worker that cannot build it (here: it dies while building) fails
// the reload everywhere: the other worker keeps the running config, /config says so.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { startChildGateway, type ChildGateway } from './helpers/child.js'
import { adminJson, childPids, fresh, linesOf, waitForLines } from './helpers/cluster.js'

let backend: Backend
let gw: ChildGateway

const yaml = (version: string): string => `
server: { host: 127.0.0.1, port: 0, workers: 2 }
admin: { host: 127.0.0.1, port: 0, token: test-token }
logging: { level: info, accessLog: false }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - name: app
    match: { path: / }
    upstream: app
    headers: { response: { set: { x-version: "${version}" } } }
`

interface ConfigView { generation: number, lastReload: { result: string, error?: string } | null }

/** The versions that 12 fresh connections (spread over both workers) see. */
async function versions (): Promise<Set<unknown>> {
  const seen = new Set<unknown>()
  for (let i = 0; i < 12; i++) seen.add((await fresh(gw.url + '/x')).headers['x-version'])
  return seen
}

before(async () => {
  backend = await startBackend((_req, res) => { res.end('ok') })
  gw = await startChildGateway(yaml('one'))
})

after(async () => {
  await gw.close()
  await backend.close()
})

const reloaded = (n: number) => waitForLines(gw, (l) => l.msg === 'config reloaded', n)

test('a file change switches every worker to the new generation', async () => {
  assert.deepEqual(await versions(), new Set(['one']))
  await writeFile(gw.file, yaml('two'))
  await reloaded(1)
  assert.deepEqual(await versions(), new Set(['two']))
  assert.equal((await adminJson<ConfigView>(gw, '/config')).generation, 2)
  // Both workers switched (one line each; a worker's lines may come a little later).
  await waitForLines(gw, (l) => l.msg === 'worker switched to the new generation', 2)
})

test('SIGHUP and POST /reload reload every worker too', async () => {
  gw.proc.kill('SIGHUP')
  await reloaded(2)
  assert.equal((await adminJson<ConfigView>(gw, '/config')).generation, 3)
  await writeFile(gw.file, yaml('three'))
  await reloaded(3)
  const res = await request(gw.adminUrl + '/reload', { method: 'POST', headers: { authorization: 'Bearer test-token' } })
  assert.equal(res.statusCode, 200)
  assert.equal((await res.body.json() as { result: string }).result, 'success')
  assert.deepEqual(await versions(), new Set(['three']))
})

test('an invalid config is rejected once, by the primary, and no worker changes', async () => {
  const before = (await adminJson<ConfigView>(gw, '/config')).generation
  await writeFile(gw.file, yaml('four').replace('upstream: app', 'upstream: nowhere'))
  await gw.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('config reload rejected'))
  const view = await adminJson<ConfigView>(gw, '/config')
  assert.equal(view.generation, before)
  assert.equal(view.lastReload?.result, 'failure')
  assert.match(view.lastReload?.error ?? '', /routes\.0\.upstream/)
  assert.equal(linesOf(gw, (l) => typeof l.msg === 'string' && l.msg.startsWith('config reload rejected')).length, 1)
  assert.deepEqual(await versions(), new Set(['three']))
})

test('a worker that cannot build the new generation fails the reload on every worker', async () => {
  const before = (await adminJson<ConfigView>(gw, '/config')).generation
  const [stuck, other] = childPids(gw.proc.pid as number) as [number, number]
  process.kill(stuck, 'SIGSTOP') // it gets the build request but cannot answer it
  await writeFile(gw.file, yaml('five')) // the watcher starts the reload
  await gw.waitForLog((l) => l.pid === other && l.msg === 'worker built the new generation; waiting for the others' && l.generation === before + 1)
  process.kill(stuck, 'SIGKILL') // … and dies while building
  const failed = await gw.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('config reload failed on 1 of 2 workers'))
  assert.match(String((failed.failed as string[])[0]), /^worker \d: the IPC channel closed before reload:prepare was answered/)
  const view = await adminJson<ConfigView>(gw, '/config')
  assert.equal(view.generation, before, 'the running generation stays')
  assert.equal(view.lastReload?.result, 'failure')
  assert.match(view.lastReload?.error ?? '', /IPC channel closed before reload:prepare/)
  // The survivor threw the new generation away; the replacement starts on the running config.
  const replacement = await gw.waitForLog((l) => l.msg === 'worker ready' && l.workerPid !== stuck && l.workerPid !== other)
  assert.deepEqual(await versions(), new Set(['three']))
  // It numbers its generations as the primary does.
  const started = await gw.waitForLog((l) => l.msg === 'worker started' && l.pid === replacement.workerPid)
  assert.equal(started.generation, before)
  assert.equal(linesOf(gw, (l) => l.msg === 'worker switched to the new generation' && l.generation === before + 1).length, 0)
})
