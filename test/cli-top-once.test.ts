// `turnpike top --once` as a real process (dist CLI) against a stand-in admin server:
// one plain snapshot and exit 0, or exit 1 with the reason when the admin API fails.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { after, before, test } from 'node:test'
import { CLI } from './helpers/child.js'
import { sampleStats, startFakeAdmin, type FakeAdmin } from './helpers/top-stats.js'

let admin: FakeAdmin

before(async () => {
  admin = await startFakeAdmin()
})

after(async () => {
  await admin.close()
})

interface Run { code: number | null, stdout: string, stderr: string }

async function top (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  // No inherited TURNPIKE_* or NO_COLOR: each test says what it sets.
  const proc = spawn(process.execPath, [CLI, 'top', ...args], { env: { PATH: process.env.PATH, COLUMNS: '120', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>((resolve) => proc.once('close', resolve))
  return { code, stdout, stderr }
}

test('one plain snapshot of routes and targets, exit 0', async () => {
  admin.answer = { status: 200, stats: sampleStats() }
  const run = await top(['--once', '--admin', admin.url])
  assert.equal(run.code, 0, run.stderr)
  assert.match(run.stdout, /^turnpike 0\.1\.0 {2}up 2h 03m/)
  assert.match(run.stdout, /orders-api\s+40\.1\/s/)
  assert.match(run.stdout, /http:\/\/orders-1\.internal:8080\s+UP/)
  assert.ok(!run.stdout.includes('\x1b'), 'a snapshot has no escape sequences')
  assert.ok(!run.stdout.includes('q quit'), 'a snapshot has no key hints')
})

test('each run shows the stats as they are now', async () => {
  const stats = sampleStats()
  const [first, ...rest] = stats.upstreams.orders!.targets
  admin.answer = { status: 200, stats: { ...stats, upstreams: { orders: { balancer: 'round-robin', targets: [{ ...first!, healthy: false }, ...rest] } } } }
  const run = await top(['--once', '--admin', admin.url])
  assert.equal(run.code, 0, run.stderr)
  assert.match(run.stdout, /http:\/\/orders-1\.internal:8080\s+DOWN/)
})

test('TURNPIKE_ADMIN_URL picks the gateway; the token goes as a bearer header', async () => {
  admin.answer = { status: 200, stats: sampleStats() }
  const seen = admin.authorizations.length
  assert.equal((await top(['--once'], { TURNPIKE_ADMIN_URL: admin.url, TURNPIKE_ADMIN_TOKEN: 'env-token' })).code, 0)
  assert.equal((await top(['--once', '--admin', admin.url, '--token', 'flag-token'])).code, 0)
  assert.equal((await top(['--once', '--admin', admin.url])).code, 0)
  assert.deepEqual(admin.authorizations.slice(seen), ['Bearer env-token', 'Bearer flag-token', undefined])
})

test('an error answer: exit 1 with the status and the admin server\'s message', async () => {
  admin.answer = { status: 503, body: JSON.stringify({ statusCode: 503, message: 'draining' }) }
  const run = await top(['--once', '--admin', admin.url])
  assert.equal(run.code, 1)
  assert.equal(run.stdout, '')
  assert.equal(run.stderr, `top: ${admin.url}: GET /stats answered 503: draining\n`)
})

test('an answer that is not gateway stats: exit 1', async () => {
  admin.answer = { status: 200, body: JSON.stringify({ hello: 'world' }) }
  const run = await top(['--once', '--admin', admin.url])
  assert.equal(run.code, 1)
  assert.match(run.stderr, /not gateway stats/)
})

test('an unreachable admin server: exit 1 with the reason', async () => {
  const gone = await startFakeAdmin()
  await gone.close()
  const run = await top(['--once', '--admin', gone.url])
  assert.equal(run.code, 1)
  assert.equal(run.stderr, `top: ${gone.url}: unreachable (ECONNREFUSED)\n`)
})

test('misuse: exit 2 with the usage', async () => {
  const run = await top(['--once', '--interval', 'soon'])
  assert.equal(run.code, 2)
  assert.match(run.stderr, /--interval: bad duration "soon"/)
  assert.match(run.stderr, /usage: turnpike top/)
})
