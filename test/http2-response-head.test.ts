// A proxied answer to an HTTP/2 client goes out on its stream directly (src/http2/respond.ts),
// not through the compat response's writeHead: the client must get the same status,
// headers (a repeated one included, the upstream's Date, the security headers with the
// upstream's value winning), body and access-log line as before, and an HTTP/1.1
// upstream's chunked trailers must still reach it, while a body of known length ends
// without any.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { request } from 'undici'
import { startBackend } from './helpers/backend.js'
import { startGateway } from './helpers/gateway.js'
import { LogCapture } from './helpers/log-capture.js'
import { h2Request, openSession } from './helpers/h2-client.js'

const backend = await startBackend((req, res) => {
  if (req.url === '/app/chunked') {
    res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' })
    res.write('par')
    res.addTrailers({ 'x-checksum': 'c0ffee' })
    res.end('ts')
    return
  }
  res.writeHead(201, {
    'content-type': 'text/plain',
    'content-length': '5',
    date: 'Tue, 01 Jan 2030 00:00:00 GMT',
    'x-up': 'a',
    'set-cookie': ['a=1', 'b=2'],
    'x-frame-options': 'DENY'
  })
  res.end(req.method === 'HEAD' ? undefined : 'hello')
})
after(async () => { await backend.close() })

test('an HTTP/2 client gets the proxied head and body an HTTP/1.1 client gets; chunked trailers reach it, a sized body has none', async () => {
  const logs = new LogCapture()
  const gw = await startGateway(`server: { host: 127.0.0.1, port: 0, http2: true }
admin: { host: 127.0.0.1, port: 0, token: t }
logging: { level: info, accessLog: true }
security: { headers: true }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: /app }, upstream: app }
`, { logger: logs.logger })
  const session = await openSession(gw.url)
  try {
    const h2 = await h2Request(session, { ':method': 'GET', ':path': '/app/fixed' })
    assert.equal(h2.status, 201)
    assert.equal(h2.body, 'hello')
    assert.equal(h2.headers['content-type'], 'text/plain')
    assert.equal(h2.headers['content-length'], '5')
    assert.equal(h2.headers.date, 'Tue, 01 Jan 2030 00:00:00 GMT')
    assert.equal(h2.headers['x-up'], 'a')
    assert.deepEqual(h2.headers['set-cookie'], ['a=1', 'b=2'])
    assert.equal(h2.headers['x-frame-options'], 'DENY', "the upstream's value over the security header's")
    assert.equal(h2.headers['x-content-type-options'], 'nosniff', 'a security header the upstream did not send')
    assert.ok(typeof h2.headers['x-request-id'] === 'string')
    assert.deepEqual(h2.trailers, {})
    assert.equal(h2.endedWithHead, false)

    // The same answer over HTTP/1.1, header for header (less what only one protocol has).
    const h1 = await request(`${gw.url}/app/fixed`)
    assert.equal(await h1.body.text(), 'hello')
    const only = (headers: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(headers)
      .filter(([name]) => !name.startsWith(':') && name !== 'x-request-id' && name !== 'connection' && name !== 'keep-alive'))
    assert.deepEqual(only(h2.headers), only(h1.headers))

    const head = await h2Request(session, { ':method': 'HEAD', ':path': '/app/fixed' })
    assert.equal(head.status, 201)
    assert.equal(head.body, '')
    assert.equal(head.headers['content-length'], '5')

    const chunked = await h2Request(session, { ':method': 'GET', ':path': '/app/chunked' })
    assert.equal(chunked.status, 200)
    assert.equal(chunked.body, 'parts')
    assert.equal(chunked.trailers['x-checksum'], 'c0ffee')
    assert.ok(typeof chunked.headers.date === 'string', 'Date added when the upstream sent none')

    let seen = 0
    await logs.waitFor((line) => line.msg === 'access' && ++seen === 4)
    const h2Lines = logs.lines.filter((l) => l.msg === 'access' && l.protocol === 'h2')
    assert.deepEqual(h2Lines.map((l) => [l.path, l.status, l.bytes]), [['/app/fixed', 201, 5], ['/app/fixed', 201, 0], ['/app/chunked', 200, 5]])
  } finally {
    session.close()
    await gw.close()
  }
})
