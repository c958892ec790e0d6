// `auth: jwt` with an HMAC secret, end to end through a real gateway: the claims
// checks (exp, nbf with clockSkew, iss, aud), signatures, `alg: none`, the RFC 6750
// challenges of a 401, and the identity header the backend sees.
import assert from 'node:assert/strict'
import { after, before, mock, test } from 'node:test'
import { SignJWT, base64url, type JWTPayload } from 'jose'
import { startBackend, type Backend, type SeenRequest } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

const SECRET = 'a-test-secret-of-at-least-32-bytes!!'
const ISSUER = 'https://id.test'
const AUDIENCE = 'api'

let backend: Backend
let other: Backend
let gw: TestGateway

before(async () => {
  backend = await startBackend()
  other = await startBackend()
  gw = await startGateway(`${BASE}
auth:
  jwt: { secret: "${SECRET}", issuer: "${ISSUER}", audience: ${AUDIENCE}, clockSkew: 30s }
  identityHeader: x-user
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
  sticky:
    targets: [{ url: ${backend.url} }, { url: ${other.url} }]
    balancer: consistent-hash
    hashOn: claim:sub
routes:
  - { name: private, match: { path: /private }, upstream: app, auth: jwt }
  - { name: sticky, match: { path: /sticky }, upstream: sticky, auth: jwt }
  - { name: public, match: { path: /public }, upstream: app }
`)
})

after(async () => {
  await gw.close()
  await backend.close()
  await other.close()
})

const now = (): number => Math.floor(Date.now() / 1000)

interface Mint { sub?: string, iss?: string, aud?: string, exp?: number, nbf?: number, secret?: string, alg?: string }

async function mint (options: Mint = {}): Promise<string> {
  const jwt = new SignJWT({ role: 'reader' })
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? now() + 300)
  if (options.sub !== '') jwt.setSubject(options.sub ?? 'alice')
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf)
  return await jwt.sign(new TextEncoder().encode(options.secret ?? SECRET))
}

async function get (path: string, headers: Record<string, string> = {}) {
  const res = await fetch(gw.url + path, { headers })
  const text = await res.text()
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

async function refusedWith (token: string, description: string): Promise<void> {
  const res = await get('/private', bearer(token))
  assert.equal(res.status, 401, res.text)
  assert.equal(res.headers.get('www-authenticate'), `Bearer realm="turnpike", error="invalid_token", error_description="${description}"`)
  const body = res.json()
  assert.equal(body.code, 'TURNPIKE_UNAUTHORIZED')
  assert.equal(body.message, `Invalid token (${description})`)
}

test('a valid token passes and the backend sees the identity in auth.identityHeader', async () => {
  const before = backend.seen.length
  const res = await get('/private/x', bearer(await mint({ sub: 'alice' })))
  assert.equal(res.status, 200, res.text)
  const seen = res.json() as unknown as SeenRequest
  assert.equal(seen.headers['x-user'], 'alice')
  assert.equal(backend.seen.length, before + 1)
})

test('a client-sent identity header is removed, on public and private routes alike', async () => {
  const spoofed = await get('/public', { 'x-user': 'root' })
  assert.equal(spoofed.status, 200)
  assert.equal((spoofed.json() as unknown as SeenRequest).headers['x-user'], undefined)
  const overridden = await get('/private', { ...bearer(await mint({ sub: 'bob' })), 'x-user': 'root' })
  assert.equal(overridden.status, 200)
  assert.deepEqual(rawValues(overridden.json() as unknown as SeenRequest, 'x-user'), ['bob'])
})

test('no token: 401 with a bare Bearer challenge, and nothing reaches the backend', async () => {
  const before = backend.seen.length
  for (const headers of [{}, { authorization: 'Basic YWxpY2U6cHc=' }] as Array<Record<string, string>>) {
    const res = await get('/private', headers)
    assert.equal(res.status, 401)
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="turnpike"')
    const body = res.json()
    assert.equal(body.code, 'TURNPIKE_UNAUTHORIZED')
    assert.equal(body.message, 'Missing bearer token')
    assert.equal(typeof body.requestId, 'string')
  }
  assert.equal(backend.seen.length, before)
})

test('the bearer scheme name is case-insensitive', async () => {
  const res = await get('/private', { authorization: `bearer ${await mint()}` })
  assert.equal(res.status, 200)
})

test('an expired token is refused', async () => {
  await refusedWith(await mint({ exp: now() - 120 }), 'token expired')
})

test('a token not valid yet is refused', async () => {
  await refusedWith(await mint({ nbf: now() + 120 }), 'token not yet valid')
})

test('exp and nbf within clockSkew are accepted', async () => {
  assert.equal((await get('/private', bearer(await mint({ exp: now() - 10 })))).status, 200)
  assert.equal((await get('/private', bearer(await mint({ nbf: now() + 10 })))).status, 200)
})

test('a token verified once is refused when it expires later (the verified-token cache rechecks exp)', async () => {
  const token = await mint({ exp: now() + 60, sub: 'dave' })
  assert.equal((await get('/private', bearer(token))).status, 200)
  mock.timers.enable({ apis: ['Date'], now: Date.now() + 120_000 })
  try {
    await refusedWith(token, 'token expired')
  } finally {
    mock.timers.reset()
  }
  assert.equal((await get('/private', bearer(await mint({ sub: 'dave' })))).status, 200)
})

test('a wrong issuer is refused', async () => {
  await refusedWith(await mint({ iss: 'https://evil.test' }), 'wrong issuer')
})

test('a wrong audience is refused', async () => {
  await refusedWith(await mint({ aud: 'other-api' }), 'wrong audience')
})

test('a token without a subject is refused', async () => {
  await refusedWith(await mint({ sub: '' }), 'token has no subject')
})

test('a token signed with another secret is refused', async () => {
  await refusedWith(await mint({ secret: 'another-secret-of-at-least-32-bytes!' }), 'bad signature')
})

test('a token with a tampered payload is refused', async () => {
  const [header, , signature] = (await mint({ sub: 'alice' })).split('.')
  const forged = base64url.encode(JSON.stringify(claims({ sub: 'admin' })))
  await refusedWith(`${header}.${forged}.${signature}`, 'bad signature')
})

test('alg: none is refused', async () => {
  const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))
  const payload = base64url.encode(JSON.stringify(claims({ sub: 'alice' })))
  await refusedWith(`${header}.${payload}.`, 'algorithm not allowed')
})

test('an HMAC algorithm outside auth.jwt.algorithms is refused', async () => {
  await refusedWith(await mint({ alg: 'HS512' }), 'algorithm not allowed')
})

test('garbage in place of a token is refused as malformed', async () => {
  await refusedWith('not-a-jwt', 'malformed token')
  await refusedWith('a.b.c', 'malformed token')
})

test('public routes need no token', async () => {
  const res = await get('/public')
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('www-authenticate'), null)
})

test('hashOn: claim:sub sends one subject to one target and spreads subjects', async () => {
  const targetOf = async (sub: string): Promise<string> => {
    const before = other.seen.length
    const res = await get('/sticky', bearer(await mint({ sub })))
    assert.equal(res.status, 200)
    return other.seen.length > before ? 'other' : 'backend'
  }
  const first = await targetOf('carol')
  for (let i = 0; i < 5; i++) assert.equal(await targetOf('carol'), first)
  const targets = new Set<string>()
  for (let i = 0; i < 20; i++) targets.add(await targetOf(`user-${i}`))
  assert.equal(targets.size, 2, 'different subjects should reach both targets')
})

function claims (extra: JWTPayload): JWTPayload {
  return { iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 300, ...extra }
}

function rawValues (seen: SeenRequest, name: string): string[] {
  const values: string[] = []
  for (let i = 0; i < seen.rawHeaders.length; i += 2) {
    if (seen.rawHeaders[i]?.toLowerCase() === name) values.push(seen.rawHeaders[i + 1] as string)
  }
  return values
}
