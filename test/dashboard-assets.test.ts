// The dashboard over plain HTTP: admin GET / and its three assets, with a strict CSP;
// nothing else under /dashboard/, no way out of its folder, and none of it on the data
// plane's listener.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import { startBackend } from './helpers/backend.js'
import { BASE, startGateway } from './helpers/gateway.js'

test('admin GET / and /dashboard/ assets: content types, CSP, nothing else served', async (t) => {
  const backend = await startBackend((_req, res) => { res.writeHead(200).end('backend') })
  const gw = await startGateway(`${BASE}upstreams:
  app: { targets: [{ url: "${backend.url}" }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  t.after(async () => { await gw.close(); await backend.close() })

  const page = await request(`${gw.adminUrl}/`)
  assert.equal(page.statusCode, 200)
  assert.match(String(page.headers['content-type']), /^text\/html/)
  const csp = String(page.headers['content-security-policy'])
  assert.match(csp, /default-src 'none'/)
  assert.match(csp, /script-src 'self'(;|$)/)
  assert.match(csp, /connect-src 'self'/)
  assert.equal(page.headers['x-content-type-options'], 'nosniff')
  const html = await page.body.text()
  assert.match(html, /<script src="dashboard\/dashboard\.js" defer><\/script>/)
  assert.doesNotMatch(html, /https?:\/\//, 'no absolute URL: everything comes from the admin server')

  for (const [file, type] of [['dashboard.js', /^application\/javascript/], ['dashboard.css', /^text\/css/], ['index.html', /^text\/html/]] as const) {
    const asset = await request(`${gw.adminUrl}/dashboard/${file}`)
    assert.equal(asset.statusCode, 200, file)
    assert.match(String(asset.headers['content-type']), type)
    assert.doesNotMatch(await asset.body.text(), /https?:\/\/(?!127)/, `${file} loads nothing from elsewhere`)
  }

  for (const path of ['/dashboard/', '/dashboard/nope.js', '/dashboard/..%2Fstats.ts', '/dashboard/%2e%2e/dashboard.ts']) {
    const refused = await request(`${gw.adminUrl}${path}`)
    await refused.body.dump()
    assert.equal(refused.statusCode, 404, path)
  }

  // The data plane proxies / to the backend: the dashboard lives on the admin port only.
  const dataPlane = await request(`${gw.url}/dashboard/dashboard.js`)
  assert.equal(await dataPlane.body.text(), 'backend')
})
