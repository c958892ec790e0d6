// `turnpike validate FILE` as a real process, through the CLI entry point:
// exit 0 when valid, 1 with every problem as `FILE:LINE:COL path.to.key: message`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts')

function turnpike (...args: string[]): { status: number | null, stdout: string, stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

async function configFile (text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-validate-'))
  const file = path.join(dir, 'gateway.yaml')
  await writeFile(file, text)
  return file
}

test('a valid config: exit 0', async () => {
  const file = await configFile('upstreams:\n  u: { targets: [{ url: "http://127.0.0.1:8000" }] }\nroutes:\n  - { name: r, match: { path: /api }, upstream: u }\n')
  const { status, stdout } = turnpike('validate', file)
  assert.equal(status, 0)
  assert.match(stdout, /valid/)
})

test('an invalid config: exit 1, every problem as FILE:LINE:COL path.to.key: message', async () => {
  const file = await configFile([
    'server:',
    '  port: 8080',
    '  bogus: true',
    'routes:',
    '  - name: r',
    '    match: { path: /api }',
    '    upstream: missing',
    '    timeout: 5 minutes',
    ''
  ].join('\n'))
  const { status, stderr } = turnpike('validate', file)
  assert.equal(status, 1)
  const lines = stderr.trimEnd().split('\n')
  assert.deepEqual(lines, [
    `${file}:3:3 server.bogus: unknown key 'bogus'`,
    `${file}:7:15 routes.0.upstream: unknown upstream 'missing' (no upstreams are defined)`,
    `${file}:8:14 routes.0.timeout: bad duration '5 minutes' (use e.g. 250ms, 10s, 5m, 1h)`
  ])
})
