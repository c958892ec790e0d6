// hashOn: claim:NAME through a real gateway: with JWT auth on the route, every request
// of one caller (its `sub`) goes to the same target; a request without the claim (an
// API key caller) is hashed on its client IP instead.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SignJWT } from 'jose'
import { request } from 'undici'
import { hashKey } from '../src/cli/hash-key.js'
import { startBackend, type Backend, type Handler } from './helpers/backend.js'
import { BASE, startGateway } from './helpers/gateway.js'

const SECRET = 'hash-on-claim-test-secret-of-32-bytes!'

async function tokenFor (sub: string): Promise<string> {
  return await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET))
}

const named = (name: string): Handler => (_req, res) => { res.writeHead(200, { 'content-length': name.length }).end(name) }

test('consistent-hash on claim:sub keeps each caller on one target', async () => {
  const backends: Backend[] = []
  for (const name of ['t0', 't1', 't2']) backends.push(await startBackend(named(name)))
  const gw = await startGateway(`${BASE}auth:
  jwt: { secret: "${SECRET}" }
  apiKeys: { keys: [{ id: ci, sha256: "${hashKey('the-ci-key')}" }] }
upstreams:
  app:
    balancer: consistent-hash
    hashOn: claim:sub
    targets: [${backends.map((b) => `{ url: "${b.url}" }`).join(', ')}]
routes:
  - { name: app, match: { path: / }, upstream: app, auth: any }
`)
  try {
    const served = async (headers: Record<string, string>): Promise<string> => {
      const res = await request(gw.url + '/x', { headers })
      assert.equal(res.statusCode, 200)
      return await res.body.text()
    }
    const targetsOf = new Map<string, Set<string>>()
    for (let user = 0; user < 12; user++) {
      const sub = `user-${user}`
      const authorization = `Bearer ${await tokenFor(sub)}`
      const seen = new Set<string>()
      for (let n = 0; n < 4; n++) seen.add(await served({ authorization }))
      targetsOf.set(sub, seen)
    }
    for (const [sub, seen] of targetsOf) assert.equal(seen.size, 1, `${sub} went to ${[...seen].join(', ')}`)
    const used = new Set([...targetsOf.values()].map((s) => [...s][0]))
    assert.ok(used.size >= 2, `12 callers spread over ${used.size} target(s)`)
    // No claim (an API key caller): hashed on the client IP, so still one target.
    const byKey = new Set<string>()
    for (let n = 0; n < 4; n++) byKey.add(await served({ 'x-api-key': 'the-ci-key' }))
    assert.equal(byKey.size, 1)
  } finally {
    await gw.close()
    for (const b of backends) await b.close()
  }
})
