// Route scopes with `server.workers: 2`: every worker builds the same per-route scopes,
// so whichever worker takes a request, CORS and compression show on the routes that
// have them and nowhere else.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { request } from 'undici'
import { startBackend } from './helpers/backend.js'
import { startChildGateway } from './helpers/child.js'

const ORIGIN = 'https://app.example.com'
const LARGE = JSON.stringify({ items: Array.from({ length: 300 }, (_, i) => ({ id: i, name: `item ${i}` })) })

test('workers: 2: each worker serves every route with its own policies only', async (t) => {
  const backend = await startBackend((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(LARGE) })
    res.end(LARGE)
  })
  const gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0, workers: 2 }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: true }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: open, match: { path: /open }, upstream: app, cors: { origins: ["${ORIGIN}"] } }
  - { name: zipped, match: { path: /zipped }, upstream: app, compress: true }
  - { name: plain, match: { path: /plain }, upstream: app }
`)
  t.after(async () => { await gw.close(); await backend.close() })
  const headers = { origin: ORIGIN, 'accept-encoding': 'gzip', connection: 'close' }
  const pids = new Set<unknown>()
  // A new connection per request, so both workers take some (bounded).
  for (let i = 0; i < 200 && pids.size < 2; i++) {
    for (const route of ['open', 'zipped', 'plain']) {
      const path = `/${route}/${i}`
      const res = await request(gw.url + path, { headers })
      const body = Buffer.from(await res.body.arrayBuffer())
      assert.equal(res.statusCode, 200)
      assert.equal(res.headers['access-control-allow-origin'], route === 'open' ? ORIGIN : undefined, path)
      assert.equal(res.headers['content-encoding'], route === 'zipped' ? 'gzip' : undefined, path)
      assert.equal((route === 'zipped' ? gunzipSync(body) : body).toString(), LARGE)
      const line = await gw.waitForLog((l) => l.msg === 'access' && l.path === path)
      assert.equal(line.route, route)
      pids.add(line.pid)
    }
  }
  assert.equal(pids.size, 2, 'both workers answered')
})
