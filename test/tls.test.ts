// server.tls: the data plane speaks HTTPS, and upstreams learn the client used https.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { Agent, request } from 'undici'
import { startBackend, type SeenRequest } from './helpers/backend.js'
import { startGateway } from './helpers/gateway.js'

test('with server.tls the gateway serves HTTPS and sets X-Forwarded-Proto: https', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-tls-'))
  const key = path.join(dir, 'tls.key')
  const cert = path.join(dir, 'tls.crt')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' })
  const backend = await startBackend()
  const gw = await startGateway(`
server: { host: 127.0.0.1, port: 0, tls: { cert: ${cert}, key: ${key} } }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: error }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  const agent = new Agent({ connect: { rejectUnauthorized: false } })
  try {
    const res = await request(`https://127.0.0.1:${gw.port}/secure`, { dispatcher: agent })
    assert.equal(res.statusCode, 200)
    const seen = await res.body.json() as SeenRequest
    assert.equal(seen.headers['x-forwarded-proto'], 'https')
    await assert.rejects(request(`http://127.0.0.1:${gw.port}/plain`, { headersTimeout: 2000 }), 'plain HTTP is not served on a TLS port')
  } finally {
    await agent.close()
    await gw.close()
    await backend.close()
    await rm(dir, { recursive: true, force: true })
  }
})
