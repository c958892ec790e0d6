// `turnpike start` and `turnpike explain` as a user runs them: real child processes.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { CLI, startChildGateway } from './helpers/child.js'

let backend: Backend
let dir: string

before(async () => {
  backend = await startBackend()
  dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-cli-'))
})

after(async () => {
  await backend.close()
  await rm(dir, { recursive: true, force: true })
})

async function cli (args: string[], options: { cwd?: string, env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? dir, env: { ...process.env, TURNPIKE_CONFIG: '', ...options.env } })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  return { code, stdout, stderr }
}

const CONFIG = (): string => `
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
upstreams:
  users: { targets: [{ url: ${backend.url} }] }
  web: { targets: [{ url: http://127.0.0.1:9 }] }
routes:
  - name: users
    match: { path: /api/users, host: api.example.com, methods: [GET, POST] }
    upstream: users
    stripPrefix: true
  - name: users-v2
    match: { path: /api/users, host: api.example.com, headers: { x-api-version: "2" } }
    upstream: users
    rewrite: /v2
  - name: web
    match: { path: / }
    upstream: web
`

test('start without any config found exits 2 with a clear message', async () => {
  const empty = await mkdtemp(path.join(os.tmpdir(), 'turnpike-empty-'))
  const r = await cli(['start'], { cwd: empty })
  await rm(empty, { recursive: true })
  assert.equal(r.code, 2)
  assert.match(r.stderr, /no config found/)
})

test('start with an invalid config exits 1 naming file, line and key', async () => {
  const file = path.join(dir, 'bad.yaml')
  await writeFile(file, 'routes:\n  - name: x\n    match: { path: /x }\n    upstream: missing\n')
  const r = await cli(['start', '-c', file])
  assert.equal(r.code, 1)
  assert.match(r.stderr, /bad\.yaml:4:\d+ routes\.0\.upstream/)
})

test('start -c FILE serves traffic and exits 0 on SIGINT', async () => {
  const gw = await startChildGateway(CONFIG())
  try {
    const res = await request(gw.url + '/api/users/7', { headers: { host: 'api.example.com' } })
    assert.equal(res.statusCode, 200)
    assert.equal((await res.body.json() as { url: string }).url, '/7')
    gw.proc.kill('SIGINT')
    assert.equal(await gw.exited, 0)
  } finally {
    await gw.close()
  }
})

test('the config search order: TURNPIKE_CONFIG, then ./gateway.yaml, then ./configs/gateway.yaml', async () => {
  // Each candidate holds a config with a distinct error, so stderr says which was read.
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'turnpike-order-'))
  const bad = (upstream: string): string => `routes: [ { name: a, match: { path: / }, upstream: ${upstream} } ]\n`
  await mkdir(path.join(cwd, 'configs'))
  await writeFile(path.join(cwd, 'configs', 'gateway.yaml'), bad('from-configs-dir'))
  let r = await cli(['start'], { cwd })
  assert.match(r.stderr, /configs\/gateway\.yaml:1:\d+ routes\.0\.upstream: unknown upstream 'from-configs-dir'/)
  await writeFile(path.join(cwd, 'gateway.yaml'), bad('from-cwd'))
  r = await cli(['start'], { cwd })
  assert.match(r.stderr, /unknown upstream 'from-cwd'/)
  await writeFile(path.join(cwd, 'env.yaml'), bad('from-env'))
  r = await cli(['start'], { cwd, env: { TURNPIKE_CONFIG: path.join(cwd, 'env.yaml') } })
  assert.match(r.stderr, /unknown upstream 'from-env'/)
  r = await cli(['start', '-c', path.join(cwd, 'configs', 'gateway.yaml')], { cwd, env: { TURNPIKE_CONFIG: path.join(cwd, 'env.yaml') } })
  assert.match(r.stderr, /unknown upstream 'from-configs-dir'/, '-c wins over everything')
  assert.equal(r.code, 1)
  await rm(cwd, { recursive: true })
})

test('explain names the route, upstream and upstream path the server would use', async () => {
  const file = path.join(dir, 'explain.yaml')
  await writeFile(file, CONFIG())
  const r = await cli(['explain', file, 'GET', 'http://api.example.com/api/users/7?x=1'])
  assert.equal(r.code, 0)
  assert.match(r.stdout, /route: users \(/)
  assert.match(r.stdout, /upstream: users \(round-robin\)/)
  assert.match(r.stdout, /upstream path: \/7\?x=1/)
  const v2 = await cli(['explain', file, 'GET', 'http://api.example.com/api/users/7', '-H', 'X-Api-Version: 2'])
  assert.match(v2.stdout, /route: users-v2/)
  assert.match(v2.stdout, /upstream path: \/v2\/7/)
})

test('explain says why no route matches', async () => {
  const file = path.join(dir, 'explain-none.yaml')
  await writeFile(file, CONFIG().replace(/ {2}- name: web[\s\S]*$/, ''))
  const r = await cli(['explain', file, 'GET', 'http://other.example.com/api/users/7'])
  assert.equal(r.code, 1)
  assert.match(r.stdout, /404 no route matches/)
  assert.match(r.stdout, /users: host "other\.example\.com" does not match api\.example\.com/)
  const m = await cli(['explain', file, 'DELETE', 'http://api.example.com/api/users/7'])
  assert.match(m.stdout, /405 Method Not Allowed \(Allow: /)
})
