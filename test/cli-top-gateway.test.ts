// `turnpike top --once` (dist CLI) against a real gateway's admin GET /stats: the
// client and the server agree on GatewayStats.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { test } from 'node:test'
import { request } from 'undici'
import { startBackend } from './helpers/backend.js'
import { CLI } from './helpers/child.js'
import { BASE, startGateway } from './helpers/gateway.js'

test('a snapshot of a running gateway shows its route, its target UP, and READY', async (t) => {
  const backend = await startBackend()
  t.after(async () => { await backend.close() })
  const gw = await startGateway(`${BASE}
upstreams:
  shop: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: shop-route, match: { path: /shop }, upstream: shop }
`)
  t.after(async () => { await gw.close() })
  const res = await request(`${gw.url}/shop/cart`)
  await res.body.dump()
  assert.equal(res.statusCode, 200)

  const proc = spawn(process.execPath, [CLI, 'top', '--once', '--admin', gw.adminUrl], { env: { PATH: process.env.PATH, COLUMNS: '120' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>((resolve) => proc.once('close', resolve))

  assert.equal(code, 0, stderr)
  assert.match(stdout, /^turnpike \d+\.\d+\.\d+ .*generation 1 {2}READY/)
  assert.match(stdout, /^shop-route\s+\S+\/s\s+0%\s+\S+\s+\S+\s+1$/m)
  assert.ok(stdout.split('\n').some((l) => /^shop\s/.test(l) && l.includes(backend.url) && /\sUP\s+closed\s/.test(l)), stdout)
})
