// Upstream `protocol: h2 | h2c`: an HTTP/1.1 client reaches an HTTP/2 upstream (and an
// HTTP/2 client an HTTP/1.1 one, in http2-clients.test.ts), requests are multiplexed
// on pooled connections, and a protocol that does not suit the target's scheme is a
// config error.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createSecureServer, createServer, type Http2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { after, test } from 'node:test'
import { request } from 'undici'
import { CertFactory } from './helpers/certs.js'
import { configProblems } from './helpers/config.js'
import { startGateway } from './helpers/gateway.js'
import { h2Get } from './helpers/h2-client.js'

const certs = await CertFactory.create()
const ca = certs.ca('up-ca')
const pair = await certs.leaf(ca, 'up', { dns: ['localhost'] })

interface H2Upstream { readonly port: number, readonly sessions: () => number, close (): Promise<void> }

async function startH2Upstream (secure: boolean): Promise<H2Upstream> {
  const handler = (req: Http2ServerRequest, res: Http2ServerResponse): void => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      // A little wait, so concurrent requests overlap on the upstream.
      setTimeout(() => {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ version: req.httpVersion, path: req.url, body: Buffer.concat(chunks).toString(), forwardedFor: req.headers['x-forwarded-for'] }))
      }, 20)
    })
  }
  const server: Http2Server = secure
    ? createSecureServer({ cert: readFileSync(pair.cert), key: readFileSync(pair.key) }, handler) as unknown as Http2Server
    : createServer(handler)
  let sessions = 0
  server.on('session', () => { sessions++ })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    sessions: () => sessions,
    async close () { await new Promise<void>((resolve) => { server.close(() => { resolve() }) }) }
  }
}

const h2c = await startH2Upstream(false)
const h2 = await startH2Upstream(true)
after(async () => {
  await h2c.close()
  await h2.close()
  await certs.close()
})

test('an HTTP/1.1 client reaches h2c and h2 upstreams; concurrent requests share one connection', async () => {
  const gw = await startGateway(`
server: { host: 127.0.0.1, port: 0, http2: true }
admin: { host: 127.0.0.1, port: 0, token: t }
logging: { level: error, accessLog: false }
upstreams:
  clear: { protocol: h2c, targets: [{ url: http://127.0.0.1:${h2c.port} }] }
  secure: { protocol: h2, tls: { ca: ${ca.cert}, servername: localhost }, targets: [{ url: https://127.0.0.1:${h2.port} }] }
routes:
  - { name: clear, match: { path: /clear }, upstream: clear }
  - { name: secure, match: { path: /secure }, upstream: secure }
`)
  try {
    // One request first: undici opens a connection for each request queued while the
    // first connection is still being made (a cold burst); after that, multiplexing.
    await (await request(`${gw.url}/clear/warm`)).body.dump()
    const answers = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const res = await request(`${gw.url}/clear/${i}`, i % 2 === 0 ? {} : { method: 'POST', body: `body-${i}` })
      return { status: res.statusCode, body: await res.body.json() as { version: string, path: string, body: string, forwardedFor: string } }
    }))
    for (const [i, a] of answers.entries()) {
      assert.equal(a.status, 200)
      assert.equal(a.body.version, '2.0')
      assert.equal(a.body.path, `/clear/${i}`)
      assert.equal(a.body.body, i % 2 === 0 ? '' : `body-${i}`)
      assert.equal(a.body.forwardedFor, '127.0.0.1')
    }
    assert.equal(h2c.sessions(), 1, 'twenty concurrent requests after the first, multiplexed on its HTTP/2 connection')
    const secure = await request(`${gw.url}/secure/x`)
    assert.equal(secure.statusCode, 200)
    assert.equal((await secure.body.json() as { version: string }).version, '2.0')
    // HTTP/2 end to end.
    const both = await h2Get(gw.url, '/secure/y')
    assert.equal(both.status, 200)
    assert.equal((JSON.parse(both.body) as { path: string }).path, '/secure/y')
  } finally {
    await gw.close()
  }
})

test('protocol h2 needs https:// targets and h2c http:// ones', () => {
  const problems = configProblems(`
upstreams:
  a: { protocol: h2, targets: [{ url: http://127.0.0.1:1 }] }
  b: { protocol: h2c, targets: [{ url: https://127.0.0.1:2 }] }
routes:
  - { name: a, match: { path: /a }, upstream: a }
  - { name: b, match: { path: /b }, upstream: b }
`)
  const messages = problems.map((p) => `${p.path} ${p.message}`)
  assert.ok(messages.some((m) => m.includes('upstreams.a.targets.0.url') && m.includes('protocol h2 is HTTP/2 over TLS')), messages.join('\n'))
  assert.ok(messages.some((m) => m.includes('upstreams.b.targets.0.url') && m.includes('protocol h2c is cleartext HTTP/2')), messages.join('\n'))
})
