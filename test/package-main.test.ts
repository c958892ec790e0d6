// The package's entry: `main` (and `exports`) name a file the build makes, and what it
// exports runs a gateway.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { pathToFileURL } from 'node:url'
import pino from 'pino'
import { request } from 'undici'
import { ROOT } from './helpers/child.js'

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string, main: string, types: string, exports: Record<string, { types: string, default: string }> }

test('package.json main, types and exports point at the built entry and its declarations', () => {
  assert.ok(existsSync(path.join(ROOT, pkg.main)), `${pkg.main} exists (npm run build)`)
  assert.ok(existsSync(path.join(ROOT, pkg.types)), `${pkg.types} exists (npm run build)`)
  assert.equal(path.normalize(pkg.exports['.']?.default ?? ''), path.normalize(pkg.main))
  assert.equal(path.normalize(pkg.exports['.']?.types ?? ''), path.normalize(pkg.types))
})

test('the entry, imported by main and by the package name, loads a config and runs a gateway', async () => {
  const byMain = await import(pathToFileURL(path.join(ROOT, pkg.main)).href) as typeof import('../src/index.js')
  // By name, as plain Node resolves it inside the package (this test runs under tsx,
  // whose tsconfig paths map 'turnpike' to the sources for the type checker);
  // test/library-consumer.test.ts imports it by name from a package of its own.
  const byName = execFileSync(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('turnpike'))"], { cwd: ROOT, encoding: 'utf8' }).trim()
  assert.equal(byName, pathToFileURL(path.join(ROOT, pkg.main)).href, 'the name resolves to main')
  assert.deepEqual(Object.keys(byMain).sort(), ['ConfigError', 'Gateway', 'StartError', 'Type', 'createGateway', 'createLogger', 'definePlugin', 'formatProblem', 'loadConfigFile', 'parseConfigText'])

  const dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-main-'))
  const file = path.join(dir, 'gateway.yaml')
  await writeFile(file, 'server: { host: 127.0.0.1, port: 0 }\nadmin: { host: 127.0.0.1, port: 0 }\n')
  const gateway = new byMain.Gateway(file, await byMain.loadConfigFile(file), pino({ level: 'silent' }))
  await gateway.start({ watch: false })
  try {
    const res = await request(`http://127.0.0.1:${gateway.adminAddress.port}/healthz`)
    assert.deepEqual(await res.body.json(), { status: 'ok' })
    assert.throws(() => byMain.parseConfigText('', 'gw.yaml', {}), byMain.ConfigError)
  } finally {
    await gateway.shutdown('test')
    await rm(dir, { recursive: true, force: true })
  }
})
