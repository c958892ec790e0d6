// User plugins at config load: a plugin's options are checked against its own schema,
// and every problem (bad options, an unknown plugin name, a module that is missing, does
// not load or is not a plugin) is a config problem with FILE:LINE:COL, from the loader
// and from `turnpike validate`.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { ConfigError, formatProblem, loadConfigFile } from '../src/config/load.js'
import { CLI } from './helpers/child.js'
import { esmPlugin, pluginFiles, type PluginFiles } from './helpers/plugin-files.js'

const SCHEMA = "{ type: 'object', properties: { header: { type: 'string' }, status: { type: 'integer', default: 400 } }, required: ['header'], additionalProperties: false }"

let files: PluginFiles
before(async () => {
  files = await pluginFiles({
    'tenant.mjs': esmPlugin('tenant', 'request.turnpike.upstreamHeaders.set(\'x-t\', \'1\')', SCHEMA),
    'broken.mjs': 'export default {\n  name: \'broken\',\n  register () {\n',
    'plain.mjs': 'export const name = \'plain\'\n'
  })
})
after(async () => { await files.remove() })

const config = (plugins: string, routePlugins = '[]'): string => `upstreams: { u: { targets: [{ url: "http://127.0.0.1:8000" }] } }
plugins:
${plugins}
routes:
  - name: r
    match: { path: /api }
    upstream: u
    plugins: ${routePlugins}
`

async function problems (text: string): Promise<string[]> {
  await files.write('gateway.yaml', text)
  try {
    await loadConfigFile(files.path('gateway.yaml'), {})
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => formatProblem({ ...p, file: path.basename(p.file) }))
    throw err
  }
  return []
}

test('an option of the wrong type is reported at its key, with line and column', async () => {
  const found = await problems(config('  - name: tenant\n    module: ./tenant.mjs\n    options:\n      header: 7\n'))
  assert.deepEqual(found, ['gateway.yaml:6:15 plugins.0.options.header: must be string (got 7)'])
})

test('a missing required option and an unknown one are both reported', async () => {
  const found = await problems(config('  - name: tenant\n    module: ./tenant.mjs\n    options: { hedaer: x-tenant }\n'))
  assert.deepEqual(found, [
    "gateway.yaml:5:5 plugins.0.options.header: missing required key 'header'",
    "gateway.yaml:5:16 plugins.0.options.hedaer: unknown key 'hedaer'"
  ])
})

test('a route naming a plugin that is not defined is a config problem at that name', async () => {
  const found = await problems(config('  - { name: tenant, module: ./tenant.mjs, options: { header: x-t } }', '[tenant, tennant, audit]'))
  assert.deepEqual(found, [
    "gateway.yaml:8:23 routes.0.plugins.1: unknown plugin 'tennant' (did you mean 'tenant'?)",
    "gateway.yaml:8:32 routes.0.plugins.2: unknown plugin 'audit' (defined: tenant)"
  ])
})

test('a module that cannot be found, loaded, or is not a plugin is a problem at its `module`', async () => {
  const found = await problems(config([
    '  - { name: a, module: ./missing.mjs }',
    '  - { name: b, module: ./broken.mjs }',
    '  - { name: c, module: ./plain.mjs }',
    '  - { name: d, module: no-such-package-anywhere }'
  ].join('\n')))
  assert.equal(found.length, 4)
  assert.match(found[0] ?? '', /^gateway\.yaml:3:24 plugins\.0\.module: cannot load plugin module '\.\/missing\.mjs': no such file/)
  assert.match(found[1] ?? '', /^gateway\.yaml:4:24 plugins\.1\.module: cannot load plugin module '\.\/broken\.mjs': /)
  assert.equal(found[2], "gateway.yaml:5:24 plugins.2.module: './plain.mjs' is not a plugin: its default export must be { name, options?, register }")
  assert.match(found[3] ?? '', /^gateway\.yaml:6:24 plugins\.3\.module: cannot find plugin module 'no-such-package-anywhere': /)
})

test('a package name is resolved from the config file\'s directory, an ESM-only package too', async () => {
  await files.write('node_modules/@acme/stamp/package.json', JSON.stringify({ name: '@acme/stamp', type: 'module', exports: { '.': { import: './index.js' } } }))
  await files.write('node_modules/@acme/stamp/index.js', esmPlugin('stamp', ''))
  await files.write('gateway.yaml', config('  - { name: stamp, module: "@acme/stamp" }', '[stamp]'))
  const loaded = await loadConfigFile(files.path('gateway.yaml'), {})
  assert.equal(loaded.plugins?.get('stamp')?.definition.name, 'stamp')
})

test('a CommonJS module, module.exports or TypeScript\'s exports.default, is a plugin', async () => {
  await files.write('plain.cjs', "module.exports = { name: 'plain', register () {} }\n")
  await files.write('compiled.cjs', "'use strict'\nObject.defineProperty(exports, '__esModule', { value: true })\nexports.default = { name: 'compiled', register () {} }\n")
  await files.write('gateway.yaml', config('  - { name: a, module: ./plain.cjs }\n  - { name: b, module: ./compiled.cjs }', '[a, b]'))
  const loaded = await loadConfigFile(files.path('gateway.yaml'), {})
  assert.deepEqual([...loaded.plugins?.values() ?? []].map((p) => p.definition.name), ['plain', 'compiled'])
})

test('the schema\'s defaults fill the options a plugin is given', async () => {
  await files.write('gateway.yaml', config('  - { name: tenant, module: ./tenant.mjs, options: { header: x-t } }', '[tenant]'))
  const loaded = await loadConfigFile(files.path('gateway.yaml'), {})
  assert.deepEqual(loaded.plugins?.get('tenant')?.options, { header: 'x-t', status: 400 })
})

test('turnpike validate loads the plugins and reports bad options: exit 1', async () => {
  await files.write('gateway.yaml', config('  - name: tenant\n    module: ./tenant.mjs\n    options:\n      header: 7\n'))
  const file = files.path('gateway.yaml')
  const result = spawnSync(process.execPath, [CLI, 'validate', file], { encoding: 'utf8', timeout: 30_000 })
  assert.equal(result.status, 1)
  assert.equal(result.stderr, `${file}:6:15 plugins.0.options.header: must be string (got 7)\n`)
})
