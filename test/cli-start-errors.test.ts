// `turnpike start` refusing to start, as a real process: one line on stderr that names
// the key and what is wrong, exit 1, no stack trace.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import net, { type AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { CLI } from './helpers/child.js'

interface Outcome { code: number | null, stdout: string, stderr: string }

async function start (yaml: string): Promise<Outcome> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-start-errors-'))
  const file = path.join(dir, 'gateway.yaml')
  await writeFile(file, yaml)
  try {
    const child = spawn(process.execPath, [CLI, 'start', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const [code] = await once(child, 'close') as [number | null]
    return { code, stdout, stderr: stderr.replaceAll(file, 'gateway.yaml') }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function holdPort (): Promise<{ port: number, close: () => Promise<void> }> {
  const holder = net.createServer()
  holder.listen(0, '127.0.0.1')
  await once(holder, 'listening')
  return {
    port: (holder.address() as AddressInfo).port,
    close: async () => { await new Promise((resolve) => holder.close(resolve)) }
  }
}

const noStack = (out: Outcome): void => {
  assert.doesNotMatch(out.stderr + out.stdout, /\n\s+at /, 'no stack trace')
}

test('a data port in use names server.port and the address, exit 1', async () => {
  const held = await holdPort()
  try {
    const out = await start(`server: { host: 127.0.0.1, port: ${held.port} }\nadmin: { host: 127.0.0.1, port: 0 }\n`)
    assert.equal(out.code, 1)
    assert.equal(out.stderr, `turnpike: server.port: 127.0.0.1:${held.port} is already in use\n`)
    noStack(out)
  } finally {
    await held.close()
  }
})

test('an admin port in use names admin.port and the address, exit 1', async () => {
  const held = await holdPort()
  try {
    const out = await start(`server: { host: 127.0.0.1, port: 0 }\nadmin: { host: 127.0.0.1, port: ${held.port} }\n`)
    assert.equal(out.code, 1)
    assert.equal(out.stderr, `turnpike: admin.port: 127.0.0.1:${held.port} is already in use\n`)
    noStack(out)
  } finally {
    await held.close()
  }
})

test('an empty config file is an error', async () => {
  const out = await start('# nothing here yet\n')
  assert.equal(out.code, 1)
  assert.equal(out.stderr, 'gateway.yaml:1:1: the config file is empty (nothing but whitespace or comments)\n')
})

test('a CORS origin without a scheme is an error that suggests https://', async () => {
  const out = await start(`server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
security:
  cors: { origins: [app.example.com, "https://*.example.org", "*"] }
upstreams:
  app: { targets: [{ url: "http://127.0.0.1:1" }] }
routes:
  - name: app
    match: { path: / }
    upstream: app
    cors: { origins: ["http://localhost:3000", admin.example.com] }
`)
  assert.equal(out.code, 1)
  assert.equal(out.stderr, [
    "gateway.yaml:4:21 security.cors.origins.0: 'app.example.com' has no scheme, so no browser's Origin can match it; write 'https://app.example.com'",
    "gateway.yaml:11:48 routes.0.cors.origins.1: 'admin.example.com' has no scheme, so no browser's Origin can match it; write 'https://admin.example.com'",
    ''
  ].join('\n'))
})
