#!/usr/bin/env node
// `npm test`: runs every test/**/*.test.ts with Node's test runner against a real Redis.
// REDIS_URL is used when it answers; otherwise a private redis-server is started on a
// free port for this run and stopped afterwards.
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')

function findTests (dir) {
  const out = []
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) out.push(...findTests(full))
    else if (name.endsWith('.test.ts')) out.push(full)
  }
  return out.sort()
}

function ping (url) {
  return new Promise((resolve) => {
    let u
    try { u = new URL(url) } catch { resolve(false); return }
    const sock = net.connect(Number(u.port || 6379), u.hostname)
    const done = (ok) => { sock.destroy(); resolve(ok) }
    sock.setTimeout(1000, () => done(false))
    sock.once('error', () => done(false))
    sock.once('connect', () => sock.write('PING\r\n'))
    sock.once('data', (d) => done(d.toString().startsWith('+PONG')))
  })
}

function freePort () {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)) })
  })
}

async function startPrivateRedis () {
  if (spawnSync('redis-server', ['--version']).error) {
    console.error('npm test: redis-server is not installed and REDIS_URL does not answer (apt-get install redis-server)')
    process.exit(1)
  }
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  const url = `redis://127.0.0.1:${port}`
  for (let i = 0; i < 100; i++) {
    if (await ping(url)) return { url, child }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  child.kill()
  console.error(`npm test: the private redis-server on port ${port} did not answer`)
  process.exit(1)
}

const args = process.argv.slice(2)
const files = args.length > 0 ? args.map((a) => path.resolve(a)) : findTests(path.join(root, 'test'))
let redis = null
let redisUrl = process.env.REDIS_URL
if (!redisUrl || !(await ping(redisUrl))) {
  redis = await startPrivateRedis()
  redisUrl = redis.url
}
console.log(`npm test: ${files.length} test files, Redis at ${redisUrl}`)
// A test that waits for an event that never comes fails after 3 minutes instead of
// holding CI until its own deadline.
const runner = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=180000', ...files], {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, REDIS_URL: redisUrl }
})
const stop = () => { if (redis) redis.child.kill() }
process.on('SIGINT', () => { runner.kill('SIGINT') })
process.on('SIGTERM', () => { runner.kill('SIGTERM') })
runner.on('exit', (code, signal) => {
  stop()
  process.exit(code ?? (signal ? 1 : 0))
})
