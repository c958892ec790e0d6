// `auth: apiKey` and `auth: any` end to end: keys checked against configured SHA-256
// digests, the ApiKey challenge naming the header, both challenges for `any`, and
// the caller's key id in the identity header upstream.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { SignJWT } from 'jose'
import { request } from 'undici'
import { hashKey } from '../src/cli/hash-key.js'
import { startBackend, type Backend, type SeenRequest } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

const SECRET = 'another-test-secret-at-least-32-bytes'
const KEY_CHALLENGE = 'ApiKey realm="turnpike", header="x-api-key"'

let backend: Backend
let gw: TestGateway
let custom: TestGateway

before(async () => {
  backend = await startBackend()
  const upstreams = `upstreams:
  app: { targets: [{ url: ${backend.url} }] }`
  gw = await startGateway(`${BASE}
auth:
  jwt: { secret: "${SECRET}" }
  apiKeys:
    keys:
      - { id: ci, sha256: "${hashKey('key-for-ci')}" }
      - { id: ops, sha256: "${hashKey('key-for-ops').toUpperCase()}" }
  identityHeader: X-Caller
${upstreams}
routes:
  - { name: keys, match: { path: /keys }, upstream: app, auth: apiKey }
  - { name: either, match: { path: /any }, upstream: app, auth: any }
`)
  custom = await startGateway(`${BASE}
auth:
  apiKeys:
    header: X-Turnpike-Key
    keys: [{ id: mobile, sha256: "${hashKey('key-for-mobile')}" }]
${upstreams}
routes:
  - { name: keys, match: { path: /keys }, upstream: app, auth: apiKey }
`)
})

after(async () => {
  await gw.close()
  await custom.close()
  await backend.close()
})

async function get (path: string, headers: Record<string, string> = {}, base = gw.url) {
  const res = await request(base + path, { headers })
  const text = await res.body.text()
  const challenge = res.headers['www-authenticate']
  return {
    status: res.statusCode,
    challenges: challenge === undefined ? [] : [challenge].flat(),
    json: () => JSON.parse(text) as Record<string, unknown>,
    caller: () => (JSON.parse(text) as SeenRequest).headers['x-caller']
  }
}

async function token (secret = SECRET): Promise<string> {
  return await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret))
}

test('a configured key passes and its id goes upstream, whichever entry it matches', async () => {
  const ci = await get('/keys', { 'x-api-key': 'key-for-ci' })
  assert.equal(ci.status, 200)
  assert.equal(ci.caller(), 'ci')
  const ops = await get('/keys', { 'x-api-key': 'key-for-ops' })
  assert.equal(ops.status, 200)
  assert.equal(ops.caller(), 'ops')
})

test('a wrong key is refused with the ApiKey challenge', async () => {
  const before = backend.seen.length
  for (const key of ['key-for-cI', 'key-for-c', 'x', 'key-for-ci, key-for-ops']) {
    const res = await get('/keys', { 'x-api-key': key })
    assert.equal(res.status, 401, key)
    assert.deepEqual(res.challenges, [KEY_CHALLENGE])
    assert.equal(res.json().code, 'TURNPIKE_UNAUTHORIZED')
    assert.equal(res.json().message, 'Invalid API key')
  }
  assert.equal(backend.seen.length, before)
})

test('a missing key is refused, and a bearer token does not stand in for it', async () => {
  const missing = await get('/keys')
  assert.equal(missing.status, 401)
  assert.deepEqual(missing.challenges, [KEY_CHALLENGE])
  assert.equal(missing.json().message, 'Missing API key')
  const bearer = await get('/keys', { authorization: `Bearer ${await token()}` })
  assert.equal(bearer.status, 401)
  assert.equal(bearer.json().message, 'Missing API key')
})

test('a client-sent identity header is replaced by the key id', async () => {
  const res = await get('/keys', { 'x-api-key': 'key-for-ci', 'x-caller': 'admin' })
  assert.equal(res.status, 200)
  assert.equal(res.caller(), 'ci')
})

test('auth: any accepts an API key or a JWT', async () => {
  const byKey = await get('/any', { 'x-api-key': 'key-for-ops' })
  assert.equal(byKey.status, 200)
  assert.equal(byKey.caller(), 'ops')
  const byToken = await get('/any', { authorization: `Bearer ${await token()}` })
  assert.equal(byToken.status, 200)
  assert.equal(byToken.caller(), 'alice')
  const wrongKeyGoodToken = await get('/any', { 'x-api-key': 'nope', authorization: `Bearer ${await token()}` })
  assert.equal(wrongKeyGoodToken.status, 200)
  assert.equal(wrongKeyGoodToken.caller(), 'alice')
})

test('auth: any without credentials sends both challenges', async () => {
  const res = await get('/any')
  assert.equal(res.status, 401)
  assert.deepEqual(res.challenges, ['Bearer realm="turnpike"', KEY_CHALLENGE])
  assert.equal(res.json().message, 'Missing credentials: send a bearer token or an API key')
})

test('auth: any with failed credentials says which kind failed', async () => {
  const badToken = await get('/any', { authorization: `Bearer ${await token('a-different-secret-of-32-bytes-or-more')}` })
  assert.equal(badToken.status, 401)
  assert.deepEqual(badToken.challenges, [
    'Bearer realm="turnpike", error="invalid_token", error_description="bad signature"',
    KEY_CHALLENGE
  ])
  assert.equal(badToken.json().message, 'Invalid token (bad signature)')
  const badKey = await get('/any', { 'x-api-key': 'nope' })
  assert.deepEqual(badKey.challenges, ['Bearer realm="turnpike"', KEY_CHALLENGE])
  assert.equal(badKey.json().message, 'Invalid API key')
})

test('auth.apiKeys.header names the header the key is read from', async () => {
  const ok = await get('/keys', { 'x-turnpike-key': 'key-for-mobile' }, custom.url)
  assert.equal(ok.status, 200)
  const wrongHeader = await get('/keys', { 'x-api-key': 'key-for-mobile' }, custom.url)
  assert.equal(wrongHeader.status, 401)
  assert.deepEqual(wrongHeader.challenges, ['ApiKey realm="turnpike", header="x-turnpike-key"'])
})
