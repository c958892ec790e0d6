// Five reloads, by every trigger (file edit, atomic rename, SIGHUP, POST /reload),
// while 50 connections keep sending: not one request may fail, and each new config
// must take effect.
import assert from 'node:assert/strict'
import { rename, writeFile } from 'node:fs/promises'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { startChildGateway, type ChildGateway } from './helpers/child.js'
import { startLoad } from './helpers/load.js'

let backend: Backend
let gw: ChildGateway

const yaml = (version: number): string => `
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0, token: reload-token }
logging: { level: info, accessLog: false }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - name: app
    match: { path: /api }
    upstream: app
    headers: { response: { set: { x-config-version: "${version}" } } }
`

before(async () => {
  backend = await startBackend()
  gw = await startChildGateway(yaml(1))
})

after(async () => {
  await gw.close()
  await backend.close()
})

async function versionServed (): Promise<string> {
  const res = await request(gw.url + '/api/x')
  await res.body.dump()
  return String(res.headers['x-config-version'])
}

const reloaded = async (generation: number): Promise<void> => {
  await gw.waitForLog((l) => l.msg === 'config reloaded' && l.generation === generation)
}

test('reloads under load lose no request and each takes effect', async () => {
  const load = startLoad(gw.url + '/api/load', { connections: 50 })
  let okTarget = 0
  const between = async (): Promise<void> => {
    okTarget = load.result.ok + 300
    await load.okAtLeast(okTarget)
  }
  await between()

  await writeFile(gw.file, yaml(2)) // an in-place edit: the watcher
  await reloaded(2)
  assert.equal(await versionServed(), '2')
  await between()

  await writeFile(gw.file + '.tmp', yaml(3)) // an editor's atomic save
  await rename(gw.file + '.tmp', gw.file)
  await reloaded(3)
  assert.equal(await versionServed(), '3')
  await between()

  await writeFile(gw.file + '.tmp', yaml(4))
  await rename(gw.file + '.tmp', gw.file)
  await reloaded(4)
  await between()
  gw.proc.kill('SIGHUP') // same content: SIGHUP still rebuilds
  await reloaded(5)
  await between()

  const res = await request(gw.adminUrl + '/reload', { method: 'POST', headers: { authorization: 'Bearer reload-token' } })
  assert.equal(res.statusCode, 200)
  assert.equal((await res.body.json() as { result: string }).result, 'success')
  await reloaded(6)
  await between()

  load.stop()
  const result = await load.done
  assert.deepEqual(result.failures, [], 'no request failed')
  assert.ok(result.ok > 1500, `load ran (${result.ok} requests)`)
  const config = await (await request(gw.adminUrl + '/config')).body.json() as { generation: number, lastReload: { result: string } }
  assert.equal(config.generation, 6)
  assert.equal(config.lastReload.result, 'success')
})

test('an invalid config is rejected with its line and column; the running one stays', async () => {
  await writeFile(gw.file, yaml(7).replace('upstream: app', 'upstream: nope'))
  const rejected = await gw.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('config reload rejected'))
  assert.match(rejected.msg, /gateway\.yaml:\d+:\d+ routes\.0\.upstream/)
  assert.equal(await versionServed(), '4', 'the last good config still serves')
  const config = await (await request(gw.adminUrl + '/config')).body.json() as { generation: number, lastReload: { result: string, error: string } }
  assert.equal(config.lastReload.result, 'failure')
  assert.match(config.lastReload.error, /routes\.0\.upstream/)
  assert.equal(config.generation, 6)
})
