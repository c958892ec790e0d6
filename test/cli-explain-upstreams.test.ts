// `turnpike explain` on routes that split, mirror and use discovered upstreams: the
// shares, the mirror and the targets a DNS lookup gives now, as a user runs it.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { CLI } from './helpers/child.js'
import { startDnsServer } from './helpers/dns-server.js'

async function explain (file: string, url: string): Promise<{ code: number | null, stdout: string }> {
  const child = spawn(process.execPath, [CLI, 'explain', file, 'GET', url], { env: { ...process.env, TURNPIKE_CONFIG: '' } })
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  return { code, stdout }
}

test('explain shows a split with its shares, the mirror, and the targets discovered now', async (t) => {
  const dns = await startDnsServer()
  const dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-explain-'))
  t.after(async () => { await dns.close(); await rm(dir, { recursive: true, force: true }) })
  dns.zones.set('users-v2.test', { A: ['127.0.0.2', '127.0.0.3'] })
  const file = path.join(dir, 'gateway.yaml')
  await writeFile(file, `
upstreams:
  v1: { targets: [{ url: "http://127.0.0.1:8001" }] }
  v2: { discovery: { dns: users-v2.test, port: 8000, resolver: "${dns.address}", refresh: 5s } }
  shadow: { discovery: { dns: missing.test, port: 8000, resolver: "${dns.address}" } }
routes:
  - name: users
    match: { path: /api/users }
    split: [{ upstream: v1, weight: 90 }, { upstream: v2, weight: 10 }]
    stickyBy: header:x-user
    mirror: { upstream: shadow, percent: 5 }
`)
  const { code, stdout } = await explain(file, 'http://api.example.com/api/users/7')
  assert.equal(code, 0, stdout)
  const lines = stdout.trim().split('\n')
  assert.deepEqual(lines.slice(lines.findIndex((l) => l.startsWith('split:'))), [
    'split: v1 90%, v2 10% (sticky by header:x-user)',
    '  upstream: v1 (round-robin) → http://127.0.0.1:8001',
    `  upstream: v2 (round-robin) → discovered from DNS users-v2.test port 8000 via ${dns.address}, every 5s:`,
    '    http://127.0.0.2:8000 (weight 1, Host users-v2.test:8000)',
    '    http://127.0.0.3:8000 (weight 1, Host users-v2.test:8000)',
    'mirror: 5% of requests copied to shadow (answers dropped; bodies up to 64 KiB)',
    'upstream path: /api/users/7'
  ])
})
