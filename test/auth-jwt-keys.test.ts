// `auth: jwt` with asymmetric keys: a PEM public key (and the HS/RS key confusion it
// must resist), and a JWKS served by a local server whose hits are counted: fetched
// once and cached, refetched once for a rotated-in kid, never per request, and not
// hammered while it is down.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, mock, test } from 'node:test'
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

interface Jwks {
  readonly url: string
  hits: number
  keys: JWK[]
  status: number
  readonly server: Server
}

let backend: Backend
let jwks: Jwks
let down: Jwks
let pemGw: TestGateway
let jwksGw: TestGateway
let downGw: TestGateway
let rsa: { publicKey: CryptoKey, privateKey: CryptoKey }
let rsaPem: string
let es: { publicKey: CryptoKey, privateKey: CryptoKey }
let ed: { publicKey: CryptoKey, privateKey: CryptoKey }
let rotated: { publicKey: CryptoKey, privateKey: CryptoKey }

async function serveJwks (): Promise<Jwks> {
  const state = { hits: 0, keys: [] as JWK[], status: 200 }
  const server = createServer((_req, res) => {
    state.hits++
    const body = JSON.stringify({ keys: state.keys })
    res.writeHead(state.status, { 'content-type': 'application/json' })
    res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`
  return Object.assign(state, { url, server })
}

async function jwkOf (key: CryptoKey, kid: string, alg: string): Promise<JWK> {
  return { ...await exportJWK(key), kid, alg, use: 'sig' }
}

const routes = (upstream: string) => `upstreams:
  app: { targets: [{ url: ${upstream} }] }
routes:
  - { name: private, match: { path: /private }, upstream: app, auth: jwt }
`

before(async () => {
  backend = await startBackend()
  rsa = await generateKeyPair('RS256', { extractable: true })
  es = await generateKeyPair('ES256', { extractable: true })
  ed = await generateKeyPair('EdDSA', { extractable: true })
  rotated = await generateKeyPair('ES256', { extractable: true })
  rsaPem = await exportSPKI(rsa.publicKey)
  jwks = await serveJwks()
  jwks.keys = [await jwkOf(es.publicKey, 'es-1', 'ES256'), await jwkOf(ed.publicKey, 'ed-1', 'EdDSA')]
  down = await serveJwks()
  down.status = 500
  pemGw = await startGateway(`${BASE}
auth:
  jwt:
    publicKey: |
${rsaPem.trim().split('\n').map((line) => '      ' + line).join('\n')}
${routes(backend.url)}`)
  jwksGw = await startGateway(`${BASE}
auth:
  jwt: { jwksUrl: "${jwks.url}" }
${routes(backend.url)}`)
  downGw = await startGateway(`${BASE}
auth:
  jwt: { jwksUrl: "${down.url}" }
${routes(backend.url)}`)
})

after(async () => {
  mock.timers.reset()
  await pemGw.close()
  await jwksGw.close()
  await downGw.close()
  await backend.close()
  for (const { server } of [jwks, down]) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => { resolve() }))
  }
})

async function mint (alg: string, key: CryptoKey | Uint8Array, kid?: string, sub = 'alice'): Promise<string> {
  return await new SignJWT({})
    .setProtectedHeader(kid === undefined ? { alg } : { alg, kid })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key)
}

async function status (gw: TestGateway, token: string): Promise<{ status: number, challenge: string | null }> {
  const res = await fetch(gw.url + '/private', { headers: { authorization: `Bearer ${token}` } })
  await res.arrayBuffer()
  return { status: res.status, challenge: res.headers.get('www-authenticate') }
}

const invalid = (description: string) =>
  ({ status: 401, challenge: `Bearer realm="turnpike", error="invalid_token", error_description="${description}"` })

test('an RS256 token signed with the private key passes a publicKey config', async () => {
  assert.equal((await status(pemGw, await mint('RS256', rsa.privateKey))).status, 200)
})

test('an RS256 token signed with another RSA key is refused', async () => {
  const stranger = await generateKeyPair('RS256')
  assert.deepEqual(await status(pemGw, await mint('RS256', stranger.privateKey)), invalid('bad signature'))
})

test('key confusion: an HS256 token signed with the public key PEM as the secret is refused', async () => {
  const token = await mint('HS256', new TextEncoder().encode(rsaPem))
  assert.deepEqual(await status(pemGw, token), invalid('algorithm not allowed'))
})

test('an ES256 token is refused when the public key is RSA', async () => {
  assert.deepEqual(await status(pemGw, await mint('ES256', es.privateKey)), invalid('algorithm not allowed'))
})

test('ES256 and EdDSA tokens pass via the JWKS, which is fetched once, not per request', async () => {
  assert.equal((await status(jwksGw, await mint('ES256', es.privateKey, 'es-1'))).status, 200)
  assert.equal((await status(jwksGw, await mint('EdDSA', ed.privateKey, 'ed-1'))).status, 200)
  for (let i = 0; i < 10; i++) {
    const token = i % 2 === 0 ? await mint('ES256', es.privateKey, 'es-1', `u${i}`) : await mint('EdDSA', ed.privateKey, 'ed-1', `u${i}`)
    assert.equal((await status(jwksGw, token)).status, 200)
  }
  assert.equal(jwks.hits, 1)
})

test('a reload keeps the fetched JWKS: no refetch for the new generation', async () => {
  const fetched = jwks.hits
  const reloaded = await jwksGw.gateway.reload('test', true)
  assert.equal(reloaded.result, 'success')
  assert.equal((await status(jwksGw, await mint('ES256', es.privateKey, 'es-1', 'after-reload'))).status, 200)
  assert.equal(jwks.hits, fetched)
})

test('a JWKS token with a kid signed by the wrong key is refused', async () => {
  assert.deepEqual(await status(jwksGw, await mint('ES256', rotated.privateKey, 'es-1')), invalid('bad signature'))
})

test('a rotated-in kid triggers one JWKS refetch, subject to the cooldown', async () => {
  // jose's cooldown (30 s since the last fetch) reads Date: move it instead of waiting.
  mock.timers.enable({ apis: ['Date'], now: Date.now() })
  try {
    assert.equal((await status(jwksGw, await mint('ES256', es.privateKey, 'es-1'))).status, 200)
    const fetched = jwks.hits
    jwks.keys = [...jwks.keys, await jwkOf(rotated.publicKey, 'es-2', 'ES256')]
    const fresh = await mint('ES256', rotated.privateKey, 'es-2')
    // Within the cooldown an unknown kid is refused without a fetch.
    assert.deepEqual(await status(jwksGw, fresh), invalid('unknown signing key'))
    assert.equal(jwks.hits, fetched)

    mock.timers.tick(31_000)
    assert.equal((await status(jwksGw, fresh)).status, 200)
    assert.equal(jwks.hits, fetched + 1)
    assert.equal((await status(jwksGw, await mint('ES256', rotated.privateKey, 'es-2', 'bob'))).status, 200)
    assert.equal((await status(jwksGw, await mint('ES256', es.privateKey, 'es-1', 'carol'))).status, 200)
    assert.equal(jwks.hits, fetched + 1)

    // A made-up kid right after a fetch costs no further fetches.
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(await status(jwksGw, await mint('ES256', rotated.privateKey, `bogus-${i}`)), invalid('unknown signing key'))
    }
    assert.equal(jwks.hits, fetched + 1)
  } finally {
    mock.timers.reset()
  }
})

test('an HS256 token is refused by a JWKS config, whatever it was signed with', async () => {
  const token = await mint('HS256', new TextEncoder().encode(JSON.stringify(jwks.keys[0])), 'es-1')
  assert.deepEqual(await status(jwksGw, token), invalid('algorithm not allowed'))
})

test('a JWKS that cannot be fetched refuses tokens without a fetch per request', async () => {
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(await status(downGw, await mint('ES256', es.privateKey, 'es-1')), invalid('signing keys unavailable'))
  }
  assert.equal(down.hits, 1)
})

test('while the JWKS cannot be refreshed, the last fetched keys keep working and fetches back off', async () => {
  mock.timers.enable({ apis: ['Date'], now: Date.now() })
  let n = 0
  const ok = async () => (await status(jwksGw, await mint('ES256', es.privateKey, 'es-1', `outage-${n++}`))).status
  try {
    mock.timers.tick(11 * 60_000) // past jose's cache max age: the next verification refetches
    jwks.status = 500
    const fetched = jwks.hits
    assert.equal(await ok(), 200)
    assert.equal(jwks.hits, fetched + 1)
    for (let i = 0; i < 3; i++) assert.equal(await ok(), 200)
    assert.equal(jwks.hits, fetched + 1)
    mock.timers.tick(6_000)
    jwks.status = 200
    assert.equal(await ok(), 200)
    assert.equal(jwks.hits, fetched + 2)
    assert.equal(await ok(), 200)
    assert.equal(jwks.hits, fetched + 2)
  } finally {
    mock.timers.reset()
    jwks.status = 200
  }
})
