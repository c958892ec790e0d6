// User plugin code across a start and reloads: a module that does not load, or whose
// register throws, stops a start (exit 1) and is refused by a reload (the running
// config stays); an edited plugin file is what the next reload runs, ES module or CommonJS.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { CLI } from './helpers/child.js'
import { BASE, startGateway } from './helpers/gateway.js'
import { esmPlugin, pluginFiles, type PluginFiles } from './helpers/plugin-files.js'

const tagging = (value: string): string => esmPlugin('tag', `request.turnpike.downstreamHeaders.set('x-tag', '${value}')`)
const cjsTagging = (value: string): string => `module.exports = {
  name: 'tag',
  async register (route) {
    route.addHook('onRequest', async (request) => { request.turnpike.downstreamHeaders.set('x-tag', '${value}') })
  }
}
`
const throwingRegister = "export default { name: 'tag', register () { throw new Error('no database to talk to') } }\n"

let backend: Backend
let files: PluginFiles
before(async () => {
  backend = await startBackend()
  files = await pluginFiles({})
})
after(async () => {
  await backend.close()
  await files.remove()
})

const yaml = (module: string): string => BASE + `
plugins: [{ name: tag, module: ${module} }]
upstreams: { app: { targets: [{ url: "${backend.url}" }] } }
routes: [{ name: r, match: { path: / }, upstream: app, plugins: [tag] }]
`

async function tagOf (url: string): Promise<unknown> {
  const res = await request(url + '/x')
  await res.body.dump()
  assert.equal(res.statusCode, 200)
  return res.headers['x-tag']
}

function start (file: string): { status: number | null, stderr: string } {
  const result = spawnSync(process.execPath, [CLI, 'start', '-c', file], { encoding: 'utf8', timeout: 30_000 })
  return { status: result.status, stderr: result.stderr + result.stdout }
}

test('turnpike start exits 1 when a plugin module cannot be loaded', async () => {
  await files.write('syntax.mjs', 'export default {\n')
  await files.write('start-a.yaml', yaml(files.path('syntax.mjs')))
  const { status, stderr } = start(files.path('start-a.yaml'))
  assert.equal(status, 1)
  assert.match(stderr, /start-a\.yaml:5:32 plugins\.0\.module: cannot load plugin module/)
})

test('turnpike start exits 1 when a plugin\'s register throws', async () => {
  await files.write('throws.mjs', throwingRegister)
  await files.write('start-b.yaml', yaml(files.path('throws.mjs')))
  const { status, stderr } = start(files.path('start-b.yaml'))
  assert.equal(status, 1)
  assert.match(stderr, /plugin 'tag' \(.*throws\.mjs\) failed to register on route 'r': no database to talk to/)
})

for (const [kind, broken] of [['does not load', 'export default {\n'], ['throws in register', throwingRegister]] as const) {
  test(`a reload with a plugin that ${kind} is refused and the running config stays`, async () => {
    const module = files.path(`keep-${kind.replaceAll(' ', '-')}.mjs`)
    await writeFile(module, tagging('old'))
    const gw = await startGateway(yaml(module))
    try {
      await writeFile(module, broken)
      const result = await gw.gateway.reload('test', true)
      assert.equal(result.result, 'failure')
      assert.match(result.error ?? '', /plugin/)
      assert.equal(gw.gateway.generation.id, 1)
      assert.equal(await tagOf(gw.url), 'old')
    } finally {
      await gw.close()
    }
  })
}

for (const [kind, name, write] of [['an ES module', 'edit.mjs', tagging], ['a CommonJS module', 'edit.cjs', cjsTagging]] as const) {
  test(`editing ${kind} plugin and reloading runs the new code`, async () => {
    await files.write(name, write('v1'))
    const gw = await startGateway(yaml(files.path(name)))
    try {
      assert.equal(await tagOf(gw.url), 'v1')
      await files.write(name, write('v2'))
      assert.equal((await gw.gateway.reload('test', true)).result, 'success')
      assert.equal(await tagOf(gw.url), 'v2')
    } finally {
      await gw.close()
    }
  })
}
