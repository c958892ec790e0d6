// server.http2 to clients: h2c with prior knowledge beside HTTP/1.1 on one cleartext
// port, h2 and http/1.1 by ALPN on one TLS port; every policy, error, log line and
// metric as on HTTP/1.1; HTTP/2's own guards (stream cap, header list size, rapid reset).
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { constants } from 'node:http2'
import { connect as tlsConnect } from 'node:tls'
import { after, test } from 'node:test'
import { request, Agent } from 'undici'
import { startBackend } from './helpers/backend.js'
import { CertFactory } from './helpers/certs.js'
import { startGateway } from './helpers/gateway.js'
import { LogCapture } from './helpers/log-capture.js'
import { h2Get, h2Request, openSession } from './helpers/h2-client.js'

const backend = await startBackend()
const certs = await CertFactory.create()
const ca = certs.ca('h2-ca')
const leaf = await certs.leaf(ca, 'gw', { dns: ['localhost'] })
after(async () => {
  await backend.close()
  await certs.close()
})

const routes = (extra = ''): string => `
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: /app }, upstream: app }
  - { name: limited, match: { path: /limited }, upstream: app, rateLimit: { max: 1, window: 1m } }
${extra}`

test('h2c with prior knowledge and HTTP/1.1 share the cleartext port; the request reaches the upstream as HTTP/1.1', async () => {
  const gw = await startGateway(`server: { host: 127.0.0.1, port: 0, http2: true }
admin: { host: 127.0.0.1, port: 0, token: t }
logging: { level: error, accessLog: false }
${routes()}`)
  try {
    const h2 = await h2Get(gw.url, '/app/x?q=1', { 'x-custom': 'yes' })
    assert.equal(h2.status, 200)
    const seen = JSON.parse(h2.body) as { url: string, headers: Record<string, string> }
    assert.equal(seen.url, '/app/x?q=1')
    assert.equal(seen.headers['x-custom'], 'yes')
    assert.equal(seen.headers.host, `127.0.0.1:${backend.port}`)
    assert.equal(seen.headers['x-forwarded-host'], `127.0.0.1:${gw.port}`)
    assert.equal(seen.headers['x-forwarded-proto'], 'http')
    assert.ok(!Object.keys(seen.headers).some((h) => h.startsWith(':')), 'no pseudo-header goes upstream as a header')
    assert.ok(typeof h2.headers['x-request-id'] === 'string')
    const h1 = await request(`${gw.url}/app/y`)
    assert.equal(h1.statusCode, 200)
    assert.equal((JSON.parse(await h1.body.text()) as { url: string }).url, '/app/y')
  } finally {
    await gw.close()
  }
})

test('over TLS, ALPN picks h2 or http/1.1 on one port', async () => {
  const gw = await startGateway(`server: { host: 127.0.0.1, port: 0, http2: true, tls: { cert: ${leaf.cert}, key: ${leaf.key} } }
admin: { host: 127.0.0.1, port: 0, token: t }
logging: { level: error, accessLog: false }
${routes()}`)
  try {
    const caPem = readFileSync(ca.cert)
    const h2 = await h2Get(`https://localhost:${gw.port}`, '/app/tls', {}, { ca: caPem })
    assert.equal(h2.status, 200)
    assert.equal((JSON.parse(h2.body) as { headers: Record<string, string> }).headers['x-forwarded-proto'], 'https')
    const socket = tlsConnect({ host: '127.0.0.1', port: gw.port, servername: 'localhost', ca: caPem, ALPNProtocols: ['http/1.1'] })
    await once(socket, 'secureConnect')
    assert.equal(socket.alpnProtocol, 'http/1.1')
    socket.destroy()
    const agent = new Agent({ connect: { ca: caPem, servername: 'localhost' } })
    try {
      const h1 = await request(`https://127.0.0.1:${gw.port}/app/one`, { dispatcher: agent })
      assert.equal(h1.statusCode, 200)
      await h1.body.dump()
    } finally {
      await agent.close()
    }
  } finally {
    await gw.close()
  }
})

test('HTTP/2 requests get the same errors, limits, access log and metrics (protocol="h2")', async () => {
  const logs = new LogCapture()
  const gw = await startGateway(`server: { host: 127.0.0.1, port: 0, http2: true }
admin: { host: 127.0.0.1, port: 0, token: t }
logging: { level: info, accessLog: true }
${routes()}`, { logger: logs.logger })
  try {
    const session = await openSession(gw.url)
    try {
      const missing = await h2Request(session, { ':method': 'GET', ':path': '/nowhere' })
      assert.equal(missing.status, 404)
      assert.equal((JSON.parse(missing.body) as { code: string }).code, 'TURNPIKE_NO_ROUTE')
      const first = await h2Request(session, { ':method': 'GET', ':path': '/limited' })
      assert.equal(first.status, 200)
      assert.equal(first.headers['ratelimit-remaining'], '0')
      const second = await h2Request(session, { ':method': 'GET', ':path': '/limited' })
      assert.equal(second.status, 429)
      assert.ok(second.headers['retry-after'] !== undefined)
      const bad = await h2Request(session, { ':method': 'GET', ':path': '/app/%2e%2e/%2e%2e/etc' })
      assert.equal(bad.status, 400)
      // The same session goes on serving after a refusal.
      assert.equal((await h2Request(session, { ':method': 'POST', ':path': '/app/post', 'content-type': 'text/plain' }, 'hello')).status, 200)
    } finally {
      session.close()
    }
    const line = await logs.waitFor((l) => l.msg === 'access' && l.status === 429)
    assert.equal(line.protocol, 'h2')
    assert.equal(line.route, 'limited')
    const posted = await logs.waitFor((l) => l.msg === 'access' && l.method === 'POST')
    assert.equal(posted.status, 200)
    const metrics = await (await request(`${gw.adminUrl}/metrics`)).body.text()
    assert.match(metrics, /turnpike_requests_total\{route="limited",method="GET",status="429",protocol="h2"\} 1/)
    assert.match(metrics, /turnpike_request_duration_seconds_count\{route="app",method="POST",protocol="h2"\} 1/)
  } finally {
    await gw.close()
  }
})

test('HTTP/2 guards: streams are capped, an oversized header list is 431, a rapid-reset client loses its session', async () => {
  const gw = await startGateway(`server: { host: 127.0.0.1, port: 0, http2: true, maxHeaderSize: 4kb }
admin: { host: 127.0.0.1, port: 0, token: t }
logging: { level: error, accessLog: false }
${routes()}`)
  try {
    const session = await openSession(gw.url)
    if (session.remoteSettings.maxConcurrentStreams === undefined) await once(session, 'remoteSettings')
    assert.equal(session.remoteSettings.maxConcurrentStreams, 128)
    const big = await h2Request(session, { ':method': 'GET', ':path': '/app', 'x-big': 'a'.repeat(5000) })
    assert.equal(big.status, 431)
    assert.equal((JSON.parse(big.body) as { code: string }).code, 'TURNPIKE_HEADERS_TOO_LARGE')
    session.close()

    const attacker = await openSession(gw.url)
    const goaway = once(attacker, 'goaway')
    // HEADERS and, at once, RST_STREAM(CANCEL): the shape of the attack. In batches
    // under the stream cap (the client holds back streams past it).
    for (let batch = 0; batch < 20 && !attacker.destroyed && !attacker.closed; batch++) {
      for (let i = 0; i < 50; i++) {
        const stream = attacker.request({ ':method': 'GET', ':path': '/app' })
        stream.on('error', () => undefined)
        stream.close(constants.NGHTTP2_CANCEL)
      }
      await new Promise((resolve) => setImmediate(resolve))
    }
    const [code] = await goaway as [number]
    assert.equal(code, constants.NGHTTP2_ENHANCE_YOUR_CALM)
    attacker.destroy()
    // Everyone else is still served.
    assert.equal((await h2Get(gw.url, '/app')).status, 200)
  } finally {
    await gw.close()
  }
})

test('security.connections counts an HTTP/2 session as one connection, however many streams it carries', async () => {
  const gw = await startGateway(`server: { host: 127.0.0.1, port: 0, http2: true }
admin: { host: 127.0.0.1, port: 0, token: t }
logging: { level: error, accessLog: false }
security: { connections: { perIp: 1 } }
${routes()}`)
  try {
    const session = await openSession(gw.url)
    const answers = await Promise.all(Array.from({ length: 10 }, async (_, i) => await h2Request(session, { ':method': 'GET', ':path': `/app/${i}` })))
    assert.deepEqual(answers.map((a) => a.status), Array(10).fill(200))
    // A second connection from the same address is over the limit.
    const refused = await request(`${gw.url}/app/second`)
    assert.equal(refused.statusCode, 429)
    await refused.body.dump()
    session.close()
  } finally {
    await gw.close()
  }
})
