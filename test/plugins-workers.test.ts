// User plugins with server.workers: 2: the primary checks the plugins' options, each
// worker loads and registers them itself, and a reload gives every worker the edited code.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { CLI, startChildGateway, type ChildGateway } from './helpers/child.js'
import { fresh, waitForLines } from './helpers/cluster.js'
import { pluginFiles, type PluginFiles } from './helpers/plugin-files.js'

// Says which worker process ran it, and with which version of its code.
const plugin = (version: string): string => `export default {
  name: 'stamp',
  options: { type: 'object', properties: { header: { type: 'string' } }, required: ['header'] },
  async register (route, options) {
    route.addHook('onRequest', async (request) => {
      request.turnpike.downstreamHeaders.set(options.header, '${version}:' + process.pid)
    })
  }
}
`

let backend: Backend
let files: PluginFiles
let gw: ChildGateway

before(async () => {
  backend = await startBackend((_req, res) => { res.end('ok') })
  files = await pluginFiles({ 'stamp.mjs': plugin('v1') })
  gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0, workers: 2 }
admin: { host: 127.0.0.1, port: 0, token: test-token }
logging: { level: info, accessLog: false }
plugins: [{ name: stamp, module: ${files.path('stamp.mjs')}, options: { header: x-stamp } }]
upstreams: { app: { targets: [{ url: "${backend.url}" }] } }
routes: [{ name: app, match: { path: / }, upstream: app, plugins: [stamp] }]
`)
})
after(async () => {
  await gw.close()
  await backend.close()
  await files.remove()
})

/** The x-stamp values 12 fresh connections (spread over both workers) see. */
async function stamps (): Promise<Set<string>> {
  const seen = new Set<string>()
  for (let i = 0; i < 12; i++) seen.add(String((await fresh(gw.url + '/x')).headers['x-stamp']))
  return seen
}

test('each of the two workers runs the plugin', async () => {
  const seen = [...await stamps()]
  assert.equal(seen.length, 2, `two workers answered: ${seen.join(' ')}`)
  for (const stamp of seen) assert.match(stamp, /^v1:\d+$/)
})

test('a reload after the plugin file changed runs the new code on every worker', async () => {
  await files.write('stamp.mjs', plugin('v2'))
  const res = await request(gw.adminUrl + '/reload', { method: 'POST', headers: { authorization: 'Bearer test-token' } })
  assert.equal(res.statusCode, 200, await res.body.text())
  await waitForLines(gw, (l) => l.msg === 'config reloaded', 1)
  const seen = [...await stamps()]
  assert.equal(seen.length, 2)
  for (const stamp of seen) assert.match(stamp, /^v2:\d+$/)
})

test('a plugin whose register throws in the workers stops the start: exit 1', async () => {
  await files.write('throws.mjs', "export default { name: 'stamp', register () { throw new Error('no database to talk to') } }\n")
  await files.write('throws.yaml', `
server: { host: 127.0.0.1, port: 0, workers: 2 }
admin: { host: 127.0.0.1, port: 0 }
plugins: [{ name: stamp, module: ./throws.mjs }]
upstreams: { app: { targets: [{ url: "${backend.url}" }] } }
routes: [{ name: app, match: { path: / }, upstream: app, plugins: [stamp] }]
`)
  const result = spawnSync(process.execPath, [CLI, 'start', '-c', files.path('throws.yaml')], { encoding: 'utf8', timeout: 60_000 })
  assert.equal(result.status, 1)
  assert.match(result.stderr, /plugin 'stamp' \(\.\/throws\.mjs\) failed to register on route 'app': no database to talk to/)
})
