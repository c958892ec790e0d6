import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { locateConfig } from '../src/config/locate.js'

async function tempDir (): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'turnpike-locate-'))
}

test('-c FILE wins over everything, even when it does not exist', async () => {
  const cwd = await tempDir()
  await writeFile(path.join(cwd, 'gateway.yaml'), '')
  assert.equal(locateConfig('custom.yaml', { TURNPIKE_CONFIG: 'env.yaml' }, cwd), path.join(cwd, 'custom.yaml'))
  assert.equal(locateConfig('/etc/turnpike.yaml', {}, cwd), '/etc/turnpike.yaml')
})

test('TURNPIKE_CONFIG comes next, even when it does not exist', async () => {
  const cwd = await tempDir()
  await writeFile(path.join(cwd, 'gateway.yaml'), '')
  assert.equal(locateConfig(undefined, { TURNPIKE_CONFIG: 'env.yaml' }, cwd), path.join(cwd, 'env.yaml'))
  assert.equal(locateConfig(undefined, { TURNPIKE_CONFIG: '' }, cwd), path.join(cwd, 'gateway.yaml'))
})

test('then ./gateway.yaml, then ./configs/gateway.yaml, else null', async () => {
  const cwd = await tempDir()
  assert.equal(locateConfig(undefined, {}, cwd), null)
  await mkdir(path.join(cwd, 'configs'))
  await writeFile(path.join(cwd, 'configs', 'gateway.yaml'), '')
  assert.equal(locateConfig(undefined, {}, cwd), path.join(cwd, 'configs', 'gateway.yaml'))
  await writeFile(path.join(cwd, 'gateway.yaml'), '')
  assert.equal(locateConfig(undefined, {}, cwd), path.join(cwd, 'gateway.yaml'))
})
