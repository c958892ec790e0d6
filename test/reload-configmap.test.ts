// A Kubernetes ConfigMap update: gateway.yaml is a symlink into `..data`, itself a
// symlink to a timestamped directory, and kubelet swaps `..data` by an atomic rename.
// The watcher must notice; pools of unchanged targets must survive the reload.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import pino from 'pino'
import { request } from 'undici'
import { loadConfigFile } from '../src/config/load.js'
import { Gateway } from '../src/server.js'
import { startBackend } from './helpers/backend.js'

test('a ConfigMap-style ..data symlink swap reloads the config and keeps unchanged pools', async () => {
  const backend = await startBackend()
  const dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-configmap-'))
  const yaml = (version: string): string => `
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: silent }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - name: app
    match: { path: / }
    upstream: app
    headers: { response: { set: { x-version: "${version}" } } }
`
  const publish = async (stamp: string, version: string): Promise<void> => {
    await mkdir(path.join(dir, stamp))
    await writeFile(path.join(dir, stamp, 'gateway.yaml'), yaml(version))
    await symlink(stamp, path.join(dir, '..data_tmp'))
    await rename(path.join(dir, '..data_tmp'), path.join(dir, '..data'))
  }
  await publish('..2026_11_22_01', 'one')
  await symlink(path.join('..data', 'gateway.yaml'), path.join(dir, 'gateway.yaml'))
  const file = path.join(dir, 'gateway.yaml')
  const gateway = new Gateway(file, await loadConfigFile(file), pino({ level: 'silent' }))
  await gateway.start()
  const url = `http://127.0.0.1:${gateway.dataAddress.port}/x`
  try {
    const first = await request(url)
    await first.body.dump()
    assert.equal(first.headers['x-version'], 'one')
    const poolBefore = gateway.generation.built.upstreams.get('app')?.targets[0]?.state

    const reloaded = once(gateway, 'reload')
    await publish('..2026_11_22_02', 'two')
    const [result] = await reloaded as [{ result: string, generation: number }]
    assert.equal(result.result, 'success')
    assert.equal(result.generation, 2)

    const second = await request(url)
    await second.body.dump()
    assert.equal(second.headers['x-version'], 'two')
    const poolAfter = gateway.generation.built.upstreams.get('app')?.targets[0]?.state
    assert.ok(poolBefore !== undefined && poolBefore === poolAfter, 'the unchanged target kept its state and pool')
  } finally {
    await gateway.shutdown('test')
    await backend.close()
    await rm(dir, { recursive: true, force: true })
  }
})
