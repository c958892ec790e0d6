// Path normalization tricks can never reach a route, or an upstream path, that the
// plain path would not. Routes: /public → A, /admin → B, and a catch-all / → A (the
// shape where a trick that dodges /admin would land somewhere that forwards it). Each
// trick is either 400 with nothing forwarded, or lands exactly where its plain
// equivalent does: same upstream, same upstream path.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startBackend, type Backend } from './helpers/backend.js'
import { edgeYaml } from './helpers/edge-socket.js'
import { startGateway, type TestGateway } from './helpers/gateway.js'
import { rawRequest } from './helpers/raw.js'

let a: Backend
let b: Backend
let gw: TestGateway

before(async () => {
  a = await startBackend()
  b = await startBackend()
  gw = await startGateway(edgeYaml('', `
upstreams:
  a: { targets: [{ url: ${a.url} }] }
  b: { targets: [{ url: ${b.url} }] }
routes:
  - { name: public, match: { path: /public }, upstream: a }
  - { name: admin, match: { path: /admin }, upstream: b }
  - { name: rest, match: { path: / }, upstream: a }
`))
})

after(async () => {
  await gw.close()
  await a.close()
  await b.close()
})

interface Landing { status: number, upstream: 'A' | 'B' | null, url: string | null }

async function land (target: string): Promise<Landing> {
  const beforeA = a.seen.length
  const beforeB = b.seen.length
  const res = await rawRequest(gw.port, `GET ${target} HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n`)
  const toA = a.seen.slice(beforeA)
  const toB = b.seen.slice(beforeB)
  assert.ok(toA.length + toB.length <= 1, `${target} reached more than one upstream request`)
  const hit = toA[0] ?? toB[0]
  return { status: res.status, upstream: toA.length > 0 ? 'A' : toB.length > 0 ? 'B' : null, url: hit?.url ?? null }
}

/** The trick is refused (400, nothing forwarded) or lands where `plain` lands. */
async function sameAsPlain (trick: string, plain: string): Promise<Landing> {
  const got = await land(trick)
  if (got.status === 400) {
    assert.equal(got.upstream, null, `${trick} was refused but still forwarded`)
    return got
  }
  const want = await land(plain)
  assert.deepEqual(got, want, `${trick} must land where ${plain} does`)
  return got
}

async function refused (trick: string): Promise<void> {
  const got = await land(trick)
  assert.deepEqual(got, { status: 400, upstream: null, url: null }, trick)
}

test('the plain paths land where the routes say', async () => {
  assert.deepEqual(await land('/admin/x'), { status: 200, upstream: 'B', url: '/admin/x' })
  assert.deepEqual(await land('/public/x'), { status: 200, upstream: 'A', url: '/public/x' })
  assert.deepEqual(await land('/other'), { status: 200, upstream: 'A', url: '/other' })
})

test('/public/../admin is /admin: route admin, upstream path /admin', async () => {
  const got = await sameAsPlain('/public/../admin', '/admin')
  assert.equal(got.upstream, 'B')
})

test('/public/%2e%2e/admin (encoded dot-segment) is /admin', async () => {
  await sameAsPlain('/public/%2e%2e/admin', '/admin')
})

test('/public/%2E%2e/admin and /public/.%2e/admin (mixed case and mixed encoding) are /admin', async () => {
  await sameAsPlain('/public/%2E%2e/admin', '/admin')
  await sameAsPlain('/public/.%2e/admin', '/admin')
})

test('/public/./x is /public/x', async () => {
  await sameAsPlain('/public/./x', '/public/x')
})

test('/public/%2fadmin (encoded slash) is 400', async () => {
  await refused('/public/%2fadmin')
})

test('/public/..%2fadmin (dot-segment hidden behind an encoded slash) is 400', async () => {
  await refused('/public/..%2fadmin')
})

test('/public/%5cadmin (encoded backslash) is 400', async () => {
  await refused('/public/%5cadmin')
})

test('/public\\..\\admin (raw backslashes) is 400', async () => {
  await refused('/public\\..\\admin')
})

test('//admin (repeated slash) is /admin', async () => {
  const got = await sameAsPlain('//admin', '/admin')
  assert.equal(got.upstream, 'B')
})

test('///admin//x is /admin/x', async () => {
  await sameAsPlain('///admin//x', '/admin/x')
})

test('/public/..;/admin (servlet dot-segment with parameters) is 400', async () => {
  await refused('/public/..;/admin')
})

test('/admin;x=1 (path parameter a servlet upstream strips) does not dodge the admin route', async () => {
  // A servlet container reads /admin;x=1 as /admin: through the catch-all it would
  // reach upstream A's /admin, which plain /admin never does.
  await sameAsPlain('/admin;x=1', '/admin')
})

test('/admin#x (fragment) does not reach the upstream with a fragment', async () => {
  await sameAsPlain('/admin#x', '/admin')
})

test('/ADMIN (case) never reaches the admin route: matching is case-sensitive', async () => {
  const got = await land('/ADMIN')
  assert.notEqual(got.upstream, 'B')
  await sameAsPlain('/ADMIN', '/ADMIN')
})

test('/%61dmin (encoded unreserved character) is /admin', async () => {
  const got = await sameAsPlain('/%61dmin', '/admin')
  assert.equal(got.upstream, 'B')
})

test('/public/%252e%252e/admin (double encoding) stays under /public', async () => {
  const got = await land('/public/%252e%252e/admin')
  assert.equal(got.upstream, 'A')
  assert.equal(got.url, '/public/%252e%252e/admin')
})

test('/.. and /public/../../admin (above the root) are 400', async () => {
  await refused('/..')
  await refused('/public/../../admin')
})

test('/admin%00 (encoded NUL) is 400', async () => {
  await refused('/admin%00')
})

test('dot-segments in the query string are left alone and do not move the path', async () => {
  const got = await land('/public?x=/../admin')
  assert.deepEqual(got, { status: 200, upstream: 'A', url: '/public?x=/../admin' })
})
