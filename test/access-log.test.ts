// One JSON access-log line per request, with what an operator greps for.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import { startBackend } from './helpers/backend.js'
import { startChildGateway } from './helpers/child.js'
import { rawRequest } from './helpers/raw.js'

test('each request writes one access line with id, route, target, status, duration and bytes', async () => {
  const backend = await startBackend()
  const gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: true }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: /api }, upstream: app }
`)
  try {
    const res = await request(gw.url + '/api/x?y=1', { headers: { 'x-request-id': 'log-test-1' } })
    const body = await res.body.text()
    const line = await gw.waitForLog((l) => l.msg === 'access' && l.reqId === 'log-test-1')
    assert.equal(line.route, 'app')
    assert.equal(line.target, backend.url)
    assert.equal(line.status, 200)
    assert.equal(line.method, 'GET')
    assert.equal(line.path, '/api/x')
    assert.equal(typeof line.durationMs, 'number')
    assert.equal(line.bytes, Buffer.byteLength(body), 'response body bytes')
    await (await request(gw.url + '/missing', { headers: { 'x-request-id': 'log-test-2' } })).body.dump()
    const miss = await gw.waitForLog((l) => l.msg === 'access' && l.reqId === 'log-test-2')
    assert.equal(miss.status, 404)
    assert.equal(miss.route, '(none)')
    assert.equal(gw.logs.filter((l) => l.reqId === 'log-test-1' && l.msg === 'access').length, 1)
  } finally {
    await gw.close()
    await backend.close()
  }
})

test('answers the listener writes itself (414, 431, a CONNECT) get an access line too', async () => {
  const gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0, maxHeaderSize: 4kb }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: true }
upstreams:
  app: { targets: [{ url: http://127.0.0.1:1 }] }
routes:
  - { name: app, match: { path: /api }, upstream: app }
`)
  try {
    const port = Number(new URL(gw.url).port)
    await rawRequest(port, `GET /${'a'.repeat(8000)} HTTP/1.1\r\nHost: gw.test\r\n\r\n`)
    const long = await gw.waitForLog((l) => l.msg === 'access' && l.status === 414)
    assert.equal(long.method, 'GET')
    assert.equal(long.route, '(none)')
    assert.equal(long.clientIp, '127.0.0.1')
    await rawRequest(port, `GET /api HTTP/1.1\r\nHost: gw.test\r\nX-Big: ${'b '.repeat(4000)}\r\n\r\n`)
    await gw.waitForLog((l) => l.msg === 'access' && l.status === 431)
    await rawRequest(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')
    const connect = await gw.waitForLog((l) => l.msg === 'access' && l.status === 405)
    assert.equal(connect.method, 'CONNECT')
  } finally {
    await gw.close()
  }
})
