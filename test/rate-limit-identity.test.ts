// Limits keyed by who the caller is run after auth: each JWT subject and each API key
// has its own counter, and the access log names the caller.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { SignJWT } from 'jose'
import { request } from 'undici'
import { startBackend } from './helpers/backend.js'
import { startChildGateway } from './helpers/child.js'

const SECRET = 'identity-test-secret-of-32-bytes-or-more'
const sha = (key: string): string => createHash('sha256').update(key).digest('hex')

async function tokenFor (sub: string): Promise<string> {
  return await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET))
}

test('claim:sub and apiKey limits count per caller, after auth; the access log has the caller', async () => {
  const backend = await startBackend()
  const gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: true }
auth:
  jwt: { secret: "${SECRET}" }
  apiKeys: { keys: [{ id: ci, sha256: "${sha('key-ci')}" }, { id: ops, sha256: "${sha('key-ops')}" }] }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: users, match: { path: /users }, upstream: app, auth: jwt, rateLimit: { max: 2, window: 1m, keyBy: "claim:sub" } }
  - { name: ingest, match: { path: /ingest }, upstream: app, auth: apiKey, rateLimit: { max: 1, window: 1m, keyBy: apiKey } }
`)
  try {
    const status = async (path: string, headers: Record<string, string>, id?: string): Promise<number> => {
      const res = await request(gw.url + path, { headers: { ...headers, ...(id === undefined ? {} : { 'x-request-id': id }) } })
      await res.body.dump()
      return res.statusCode
    }
    const alice = { authorization: `Bearer ${await tokenFor('alice')}` }
    const bob = { authorization: `Bearer ${await tokenFor('bob')}` }
    assert.deepEqual([
      await status('/users', alice, 'alice-1'), await status('/users', alice), await status('/users', alice),
      await status('/users', bob)
    ], [200, 200, 429, 200], 'alice has her own two, bob his')
    // Refused by auth before any counting: a bad token never uses up anyone's quota.
    assert.equal(await status('/users', { authorization: 'Bearer not-a-token' }), 401)

    assert.deepEqual([
      await status('/ingest', { 'x-api-key': 'key-ci' }), await status('/ingest', { 'x-api-key': 'key-ci' }),
      await status('/ingest', { 'x-api-key': 'key-ops' }, 'ops-1')
    ], [200, 429, 200], 'one per key')

    const aliceLine = await gw.waitForLog((l) => l.msg === 'access' && l.reqId === 'alice-1')
    assert.equal(aliceLine.user, 'alice')
    const opsLine = await gw.waitForLog((l) => l.msg === 'access' && l.reqId === 'ops-1')
    assert.equal(opsLine.user, 'ops')
  } finally {
    await gw.close()
    await backend.close()
  }
})
