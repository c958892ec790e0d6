// User plugins on the request path, through a real gateway and a real backend: a plugin
// runs only on the routes that list it, in their order, its headers reach the backend
// and the client, and a hook that throws answers that one request 500.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'
import { LogCapture } from './helpers/log-capture.js'
import { esmPlugin, pluginFiles, type PluginFiles } from './helpers/plugin-files.js'

// Appends its `mark` to x-marks upstream, so the backend sees the order plugins ran in.
const MARK = "{ type: 'object', properties: { mark: { type: 'string' } }, required: ['mark'] }"
const marker = esmPlugin('marker', `
      const before = request.turnpike.upstreamHeaders.get('x-marks')
      request.turnpike.upstreamHeaders.set('x-marks', before === undefined ? options.mark : before + ',' + options.mark)
      request.turnpike.downstreamHeaders.set('x-seen-by', request.turnpike.route.name + '@' + request.turnpike.clientIp)`, MARK)
const failing = `export default {
  name: 'failing',
  register (route) {
    route.addHook('onRequest', (request, reply, done) => {
      if (request.headers['x-fail'] === 'sync') throw new Error('thrown in a callback hook')
      if (request.headers['x-fail'] === 'done') return done(new Error('passed to done'))
      done()
    })
    route.addHook('preHandler', async (request) => {
      if (request.headers['x-fail'] === 'async') throw new Error('rejected in an async hook')
    })
  }
}
`

let backend: Backend
let files: PluginFiles
let gw: TestGateway
const logs = new LogCapture('error')

before(async () => {
  backend = await startBackend()
  files = await pluginFiles({ 'marker.mjs': marker, 'failing.mjs': failing })
  gw = await startGateway(BASE + `
plugins:
  - { name: first, module: ${files.path('marker.mjs')}, options: { mark: one } }
  - { name: second, module: ${files.path('marker.mjs')}, options: { mark: two } }
  - { name: failing, module: ${files.path('failing.mjs')} }
upstreams: { app: { targets: [{ url: "${backend.url}" }] } }
routes:
  - { name: ordered, match: { path: /ordered }, upstream: app, plugins: [second, first] }
  - { name: plain, match: { path: /plain }, upstream: app }
  - { name: fragile, match: { path: /fragile }, upstream: app, plugins: [failing] }
`, { logger: logs.logger })
})
after(async () => {
  await gw.close()
  await backend.close()
  await files.remove()
})

async function get (path: string, headers: Record<string, string> = {}): Promise<{ status: number, headers: Record<string, unknown>, body: Record<string, unknown> }> {
  const res = await request(gw.url + path, { headers })
  return { status: res.statusCode, headers: res.headers, body: await res.body.json() as Record<string, unknown> }
}

test('the plugins of a route run in the order the route lists them', async () => {
  const res = await get('/ordered')
  assert.equal(res.status, 200)
  assert.equal((res.body.headers as Record<string, string>)['x-marks'], 'two,one')
})

test('a plugin\'s downstream headers reach the client, with the route name and client IP it read', async () => {
  const res = await get('/ordered')
  assert.equal(res.headers['x-seen-by'], 'ordered@127.0.0.1')
})

test('a route that lists no plugin gets none of their headers', async () => {
  const res = await get('/plain')
  assert.equal(res.status, 200)
  assert.equal((res.body.headers as Record<string, string>)['x-marks'], undefined)
  assert.equal(res.headers['x-seen-by'], undefined)
})

for (const how of ['sync', 'done', 'async']) {
  test(`a hook that fails (${how}) answers 500 TURNPIKE_PLUGIN_ERROR, is counted and logged, and the next request is served`, async () => {
    const reached = backend.seen.length
    const res = await get('/fragile', { 'x-fail': how })
    assert.equal(res.status, 500)
    assert.equal(res.body.code, 'TURNPIKE_PLUGIN_ERROR')
    assert.equal(res.body.message, 'Plugin failing failed')
    assert.equal(backend.seen.length, reached, 'the request never reached the backend')
    const line = await logs.waitFor((l) => l.msg === 'plugin hook failed' && l.reqId === res.body.requestId)
    assert.equal(line.plugin, 'failing')
    assert.equal(line.route, 'fragile')
    assert.equal((await get('/fragile')).status, 200)
  })
}

test('turnpike_plugin_errors_total counts the failures by plugin and route', async () => {
  const before = await failures()
  await get('/fragile', { 'x-fail': 'async' })
  assert.equal(await failures(), before + 1)
})

async function failures (): Promise<number> {
  const text = await (await request(gw.adminUrl + '/metrics')).body.text()
  const line = text.split('\n').find((l) => l.startsWith('turnpike_plugin_errors_total{plugin="failing",route="fragile"}'))
  return line === undefined ? 0 : Number(line.split(' ').at(-1))
}
