// What the config watcher reacts to: the config file (and a ConfigMap's `..data` swap,
// see reload-configmap.test.ts), never a neighbour such as an access log written into
// the same folder; a rejected text is not validated again until it changes; and a
// stream of writes cannot postpone a reload past the debounce's maximum wait.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as pause } from 'node:timers/promises'
import { test } from 'node:test'
import { request } from 'undici'
import { watchConfig } from '../src/config/watch.js'
import type { ReloadResult } from '../src/server.js'
import { startBackend } from './helpers/backend.js'
import { BASE, startGateway } from './helpers/gateway.js'

const config = (backendUrl: string, version: string): string => `${BASE}upstreams:
  app: { targets: [{ url: ${backendUrl} }] }
routes:
  - name: app
    match: { path: / }
    upstream: app
    headers: { response: { set: { x-version: "${version}" } } }
`

// Writes paced wider than the debounce: each would be its own check if the watcher
// listened to them.
const PACE_MS = 250

test('writes to another file in the config folder never trigger a check', async () => {
  const backend = await startBackend()
  const gw = await startGateway(config(backend.url, 'one'))
  let checks = 0
  let wake: (() => void) | undefined
  const watcher = watchConfig(gw.file, () => { checks++; wake?.() })
  try {
    await watcher.ready
    const neighbour = path.join(path.dirname(gw.file), 'gateway.log')
    for (let n = 0; n < 6; n++) {
      await writeFile(neighbour, `line ${n}\n`, { flag: 'a' })
      await pause(PACE_MS)
    }
    const checked = new Promise<void>((resolve) => { wake = resolve })
    await writeFile(gw.file, config(backend.url, 'two'))
    await checked
    assert.equal(checks, 1, 'only the config file edit was a check')
  } finally {
    await watcher.close()
    await gw.close()
    await backend.close()
  }
})

test('an invalid edit is rejected once, however often the folder or the file is touched', async () => {
  const backend = await startBackend()
  const gw = await startGateway(config(backend.url, 'one'), { watch: true })
  const results: ReloadResult[] = []
  gw.gateway.on('reload', (r: ReloadResult) => results.push(r))
  try {
    const invalid = config(backend.url, 'bad').replace('match: { path: / }', 'match: { path: / }\n    window: 10')
    const rejected = once(gw.gateway, 'reload')
    await writeFile(gw.file, invalid)
    const [first] = await rejected as [ReloadResult]
    assert.equal(first.result, 'failure')

    const neighbour = path.join(path.dirname(gw.file), 'gateway.log')
    for (let n = 0; n < 4; n++) {
      await writeFile(neighbour, `line ${n}\n`, { flag: 'a' })
      await writeFile(gw.file, invalid) // the same bytes again: an editor's save, a touch
      await pause(PACE_MS)
    }
    const applied = once(gw.gateway, 'reload')
    await writeFile(gw.file, config(backend.url, 'two'))
    const [second] = await applied as [ReloadResult]
    assert.equal(second.result, 'success')
    assert.deepEqual(results.map((r) => r.result), ['failure', 'success'])
    const stats = await request(gw.adminUrl + '/stats', { headers: { authorization: 'Bearer test-token' } })
    const reloads = (await stats.body.json() as { reloads: ReloadResult[] }).reloads
    assert.equal(reloads.filter((r) => r.result === 'failure').length, 1, '/stats lists the rejection once')
  } finally {
    await gw.close()
    await backend.close()
  }
})

test('a valid edit is applied while the config file keeps being written', async () => {
  const backend = await startBackend()
  const gw = await startGateway(config(backend.url, 'one'), { watch: true })
  let applied = false
  gw.gateway.on('reload', (r: ReloadResult) => { if (r.result === 'success') applied = true })
  try {
    // Writes every 25 ms (far inside the 150 ms debounce) for at most 15 s; a debounce
    // without a maximum wait would never fire while they go on.
    const deadline = Date.now() + 15_000
    let writes = 0
    while (!applied && writes < 600 && Date.now() < deadline) {
      await writeFile(gw.file, config(backend.url, 'two') + `# write ${writes++}\n`)
      await pause(25)
    }
    assert.ok(applied, `the edit was applied during the stream (${writes} writes)`)
    const res = await request(gw.url + '/x')
    await res.body.dump()
    assert.equal(res.headers['x-version'], 'two')
  } finally {
    await gw.close()
    await backend.close()
  }
})
