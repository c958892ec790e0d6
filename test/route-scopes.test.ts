// Each config route is its own Fastify scope holding only the policies it uses: what
// one route turns on (CORS, compression, a rate limit, auth) never shows on another,
// routing is unchanged by the internal per-route paths (which no client can reach),
// and the extension seam runs a scope's hooks for its own route only, with the header
// maps of request.turnpike reaching the upstream and the client.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { gunzipSync } from 'node:zlib'
import pino from 'pino'
import { request } from 'undici'
import { buildApp, type GenerationApp } from '../src/app.js'
import { parseConfigText } from '../src/config/load.js'
import type { GatewayConfig } from '../src/config/schema.js'
import { EdgeState } from '../src/edge/state.js'
import { GatewayMetrics } from '../src/metrics.js'
import { TargetRegistry } from '../src/upstream/registry.js'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'
import { hashKey } from '../src/cli/hash-key.js'

const ORIGIN = 'https://app.example.com'
const LARGE = JSON.stringify({ items: Array.from({ length: 300 }, (_, i) => ({ id: i, name: `item ${i}` })) })

let backend: Backend
let gw: TestGateway

before(async () => {
  backend = await startBackend((req, res, seen) => {
    const body = req.url?.endsWith('/large') === true ? LARGE : JSON.stringify({ method: seen.method, url: seen.url })
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
  gw = await startGateway(`${BASE}
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
auth:
  apiKeys:
    keys: [{ id: tester, sha256: "${hashKey('secret-key-of-the-tests')}" }]
routes:
  - { name: open, match: { path: /open }, upstream: app, cors: { origins: ["${ORIGIN}"] } }
  - { name: zipped, match: { path: /zipped }, upstream: app, compress: true }
  - { name: limited, match: { path: /limited }, upstream: app, rateLimit: { max: 1, window: 1m } }
  - { name: guarded, match: { path: /guarded }, upstream: app, auth: apiKey }
  - { name: plain, match: { path: /plain }, upstream: app }
`)
})

after(async () => {
  await gw.close()
  await backend.close()
})

async function get (path: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await request(gw.url + path, { method: method as 'GET', headers })
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) }
}

test('CORS only on the route that has it: the plain route sends no CORS header and does not vary on Origin', async () => {
  const open = await get('/open/x', { origin: ORIGIN })
  assert.equal(open.status, 200)
  assert.equal(open.headers['access-control-allow-origin'], ORIGIN)
  const plain = await get('/plain/x', { origin: ORIGIN })
  assert.equal(plain.status, 200)
  assert.equal(plain.headers['access-control-allow-origin'], undefined)
  assert.equal(plain.headers.vary, undefined)
})

test('a preflight is answered on the CORS route and proxied as a plain OPTIONS on the route without CORS', async () => {
  const preflight = { origin: ORIGIN, 'access-control-request-method': 'GET' }
  const before = backend.seen.length
  const open = await get('/open/x', preflight, 'OPTIONS')
  assert.equal(open.status, 204)
  assert.equal(open.headers['access-control-allow-origin'], ORIGIN)
  assert.equal(backend.seen.length, before, 'the CORS route answered it itself')
  const plain = await get('/plain/x', preflight, 'OPTIONS')
  assert.equal(plain.status, 200)
  assert.deepEqual(JSON.parse(plain.body.toString()), { method: 'OPTIONS', url: '/plain/x' })
  assert.equal(plain.headers['access-control-allow-origin'], undefined)
})

test('compression only on the route that asks for it', async () => {
  const zipped = await get('/zipped/large', { 'accept-encoding': 'gzip' })
  assert.equal(zipped.headers['content-encoding'], 'gzip')
  assert.equal(gunzipSync(zipped.body).toString(), LARGE)
  const plain = await get('/plain/large', { 'accept-encoding': 'gzip' })
  assert.equal(plain.headers['content-encoding'], undefined)
  assert.equal(plain.body.toString(), LARGE)
})

test('a rate limit and auth stay on their routes', async () => {
  assert.equal((await get('/limited/a')).status, 200)
  const limited = await get('/limited/a')
  assert.equal(limited.status, 429)
  assert.equal((await get('/guarded/a')).status, 401)
  assert.equal((await get('/guarded/a', { 'x-api-key': 'secret-key-of-the-tests' })).status, 200)
  for (let i = 0; i < 5; i++) {
    const plain = await get('/plain/a')
    assert.equal(plain.status, 200)
    assert.equal(plain.headers['ratelimit-limit'], undefined)
  }
})

test('the internal per-route paths are not reachable, and paths and queries reach the upstream as sent', async () => {
  assert.equal((await get('/_turnpike/route/4')).status, 404)
  assert.equal((await get('/_turnpike/route/4/x')).status, 404)
  const plain = await get('/plain/a/../b?q=1&r=%20')
  assert.deepEqual(JSON.parse(plain.body.toString()), { method: 'GET', url: '/plain/b?q=1&r=%20' })
  const wrong = await get('/plain/x', {}, 'TRACE')
  assert.equal(wrong.status, 405)
})

/** A generation served by a plain node:http server, with `routeExtensions` set. */
async function serveWithExtensions (config: GatewayConfig, extensions: NonNullable<Parameters<typeof buildApp>[0]['routeExtensions']>): Promise<{ url: string, close: () => Promise<void> }> {
  const logger = pino({ level: 'silent' })
  const metrics = new GatewayMetrics()
  const edge = new EdgeState(logger, metrics)
  const registry = new TargetRegistry(metrics)
  const built: GenerationApp = await buildApp({ config, registry, logger, lifecycle: { draining: false }, edge, metrics, routeExtensions: extensions })
  const server: Server = createServer(built.handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
      await built.app.close()
      built.upstreams.dispose()
      await edge.close()
      await registry.closeAll()
      metrics.close()
    }
  }
}

test('a route extension runs in its own route\'s scope only, after the built-in policies, and its header maps reach the upstream and the client', async (t) => {
  const config = parseConfigText(`${BASE}
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
auth:
  apiKeys:
    keys: [{ id: tester, sha256: "${hashKey('secret-key-of-the-tests')}" }]
routes:
  - { name: tagged, match: { path: /tagged }, upstream: app, auth: apiKey }
  - { name: untouched, match: { path: /untouched }, upstream: app }
`, 'gw.yaml', {}).config as GatewayConfig
  const scopes: string[] = []
  const served = await serveWithExtensions(config, async (scope, route) => {
    scopes.push(route.name)
    if (route.name !== 'tagged') return
    scope.addHook('onRequest', (request, _reply, done) => {
      // After auth: the identity is known.
      request.turnpike.upstreamHeaders.set('x-tenant', request.turnpike.identity?.id ?? 'nobody')
      request.turnpike.downstreamHeaders.set('x-served-by', 'extension')
      done()
    })
  })
  t.after(served.close)
  assert.deepEqual(scopes, ['tagged', 'untouched'])

  const refused = await request(served.url + '/tagged/a')
  await refused.body.dump()
  assert.equal(refused.statusCode, 401, 'auth ran first and refused')
  assert.equal(refused.headers['x-served-by'], undefined)

  const seenBefore = backend.seen.length
  const tagged = await request(served.url + '/tagged/a', { headers: { 'x-api-key': 'secret-key-of-the-tests' } })
  await tagged.body.dump()
  assert.equal(tagged.statusCode, 200)
  assert.equal(tagged.headers['x-served-by'], 'extension')
  assert.equal(backend.seen[seenBefore]?.headers['x-tenant'], 'tester')

  const untouched = await request(served.url + '/untouched/a')
  await untouched.body.dump()
  assert.equal(untouched.headers['x-served-by'], undefined)
  assert.equal(backend.seen[seenBefore + 1]?.headers['x-tenant'], undefined)
})
