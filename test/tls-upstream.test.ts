// upstreams.*.tls: https:// targets verified against a private CA, the name checked and
// sent as SNI (servername), verify: false, a client certificate for an upstream that
// requires one, a failed verification answered 502 with the reason in the log, and
// health checks that use the same TLS settings as the traffic.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { copyFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { after, test } from 'node:test'
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls'
import { request } from 'undici'
import { CertFactory } from './helpers/certs.js'
import { startGateway } from './helpers/gateway.js'
import { LogCapture } from './helpers/log-capture.js'

const certs = await CertFactory.create()
const ca = certs.ca('internal-ca')
// The upstream's certificate names users.internal only: not the 127.0.0.1 it listens on.
const users = await certs.leaf(ca, 'users', { dns: ['users.internal'] })
const gatewayClient = await certs.leaf(ca, 'gw-client', { subject: '/CN=turnpike-gw/O=Edge', client: true })

interface Seen { servername: string | false | null, clientCert: string | null, userAgent: string | undefined }

/** An HTTPS upstream that answers with the SNI it got and the client certificate's subject. */
async function httpsUpstream (requireClientCert: boolean): Promise<{ server: Server, url: string, seen: Seen[] }> {
  const seen: Seen[] = []
  const server = createServer({
    cert: readFileSync(users.cert),
    key: readFileSync(users.key),
    ...(requireClientCert ? { ca: readFileSync(ca.cert), requestCert: true, rejectUnauthorized: true } : {})
  }, (req, res) => {
    const socket = req.socket as TLSSocket
    const peer = socket.getPeerX509Certificate()
    const entry = { servername: socket.servername, clientCert: peer?.subject.split('\n').join(', ') ?? null, userAgent: req.headers['user-agent'] }
    seen.push(entry)
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(entry))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

const plain = await httpsUpstream(false)
const mutual = await httpsUpstream(true)
after(async () => {
  plain.server.closeAllConnections()
  mutual.server.closeAllConnections()
  plain.server.close()
  mutual.server.close()
  await certs.close()
})

const upstream = (url: string, tls: string): string => `{ targets: [{ url: ${url} }], tls: ${tls} }`

test('https upstreams: private CA, servername, verify: false, client certificates; failed verification is a 502 with the reason logged', async () => {
  const log = new LogCapture('warn')
  const gw = await startGateway(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: warn, accessLog: false }
upstreams:
  trusted: ${upstream(plain.url, `{ ca: ${ca.cert}, servername: users.internal }`)}
  no-ca: ${upstream(plain.url, '{ servername: users.internal }')}
  wrong-name: ${upstream(plain.url, `{ ca: ${ca.cert} }`)}
  unverified: ${upstream(plain.url, '{ verify: false }')}
  mtls-without-cert: ${upstream(mutual.url, `{ ca: ${ca.cert}, servername: users.internal }`)}
  mtls: ${upstream(mutual.url, `{ ca: ${ca.cert}, servername: users.internal, cert: ${gatewayClient.cert}, key: ${gatewayClient.key} }`)}
routes:
  - { name: trusted, match: { path: /trusted }, upstream: trusted }
  - { name: no-ca, match: { path: /no-ca }, upstream: no-ca }
  - { name: wrong-name, match: { path: /wrong-name }, upstream: wrong-name }
  - { name: unverified, match: { path: /unverified }, upstream: unverified }
  - { name: mtls-without-cert, match: { path: /mtls-without-cert }, upstream: mtls-without-cert }
  - { name: mtls, match: { path: /mtls }, upstream: mtls }
`, { logger: log.logger })
  const call = async (path: string): Promise<{ status: number, body: Record<string, unknown> }> => {
    const res = await request(gw.url + path, { headers: { 'x-request-id': path.slice(1) } })
    return { status: res.statusCode, body: await res.body.json() as Record<string, unknown> }
  }
  const reasonLogged = async (id: string): Promise<string> =>
    String((await log.waitFor((l) => l.msg === 'upstream request failed' && l.reqId === id)).reason)
  try {
    const trusted = await call('/trusted')
    assert.equal(trusted.status, 200)
    assert.equal(trusted.body.servername, 'users.internal', 'servername is sent as SNI')

    const noCa = await call('/no-ca')
    assert.equal(noCa.status, 502)
    assert.match(String(noCa.body.message), /UNABLE_TO_VERIFY_LEAF_SIGNATURE/)
    assert.match(await reasonLogged('no-ca'), /UNABLE_TO_VERIFY_LEAF_SIGNATURE/)

    const wrongName = await call('/wrong-name')
    assert.equal(wrongName.status, 502, 'the certificate names users.internal, not 127.0.0.1')
    assert.match(await reasonLogged('wrong-name'), /ERR_TLS_CERT_ALTNAME_INVALID/)

    assert.equal((await call('/unverified')).status, 200)

    assert.equal((await call('/mtls-without-cert')).status, 502)
    await reasonLogged('mtls-without-cert')
    const mtls = await call('/mtls')
    assert.equal(mtls.status, 200)
    assert.equal(mtls.body.clientCert, 'CN=turnpike-gw, O=Edge')
  } finally {
    await gw.close()
  }
})

test('health checks of https targets verify with the upstream tls settings', async () => {
  const gw = await startGateway(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: error, accessLog: false }
upstreams:
  good:
    targets: [{ url: ${mutual.url} }]
    tls: { ca: ${ca.cert}, servername: users.internal, cert: ${gatewayClient.cert}, key: ${gatewayClient.key} }
    healthCheck: { path: /health, interval: 50ms, timeout: 2s, unhealthyThreshold: 1, healthyThreshold: 1 }
  untrusted:
    targets: [{ url: ${plain.url} }]
    tls: { servername: users.internal }
    healthCheck: { path: /health, interval: 50ms, timeout: 2s, unhealthyThreshold: 1, healthyThreshold: 1 }
routes:
  - { name: good, match: { path: /good }, upstream: good }
  - { name: untrusted, match: { path: /untrusted }, upstream: untrusted }
`)
  try {
    const health = gw.gateway.registry.health
    const untrusted = health.get('untrusted', plain.url)
    assert.ok(untrusted !== undefined)
    if (untrusted.snapshot().healthy) await once(untrusted, 'change')
    assert.equal(untrusted.snapshot().healthy, false, 'an unverifiable target fails its check')
    const res = await request(gw.url + '/untrusted')
    assert.equal(res.statusCode, 503)
    await res.body.dump()

    // The probe reached the mTLS upstream's handler: verified both ways, as traffic is.
    // Checks run one at a time: once the second probe arrives, the first one's verdict is in.
    const probes = (): number => mutual.seen.filter((s) => s.userAgent === 'turnpike-health-check').length
    const good = health.get('good', mutual.url)
    assert.ok(good !== undefined)
    while (probes() < 2) await once(mutual.server, 'request')
    assert.equal(good.snapshot().healthy, true)
    assert.equal(mutual.seen.find((s) => s.userAgent === 'turnpike-health-check')?.clientCert, 'CN=turnpike-gw, O=Edge')
    assert.equal((await request(gw.url + '/good')).statusCode, 200)
  } finally {
    await gw.close()
  }
})

test('a reload reads renewed upstream TLS files: new connections for that upstream, the others keep their pools', async () => {
  const otherCa = certs.ca('not-the-issuer')
  const caFile = certs.file('upstream-ca.pem')
  await copyFile(otherCa.cert, caFile)
  const gw = await startGateway(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0, token: test-token }
logging: { level: error, accessLog: false }
upstreams:
  renewed: ${upstream(plain.url, `{ ca: ${caFile}, servername: users.internal }`)}
  steady: ${upstream(mutual.url, `{ ca: ${ca.cert}, servername: users.internal, cert: ${gatewayClient.cert}, key: ${gatewayClient.key} }`)}
routes:
  - { name: renewed, match: { path: /renewed }, upstream: renewed }
  - { name: steady, match: { path: /steady }, upstream: steady }
`)
  const status = async (path: string): Promise<number> => {
    const res = await request(gw.url + path)
    await res.body.dump()
    return res.statusCode
  }
  // The previous generation may still hold its pools for a moment: look at all of them.
  const poolsOf = (name: string): unknown[] => gw.gateway.registry.states().filter((s) => s.upstream === name).map((s) => s.pool)
  try {
    assert.equal(await status('/renewed'), 502, 'the CA file holds the wrong CA')
    assert.equal(await status('/steady'), 200)
    const [steadyPool] = poolsOf('steady')
    const [renewedPool] = poolsOf('renewed')
    await copyFile(ca.cert, caFile)
    const res = await request(`${gw.adminUrl}/reload`, { method: 'POST', headers: { authorization: 'Bearer test-token' } })
    assert.equal(res.statusCode, 200)
    await res.body.dump()
    assert.equal(await status('/renewed'), 200)
    assert.ok(poolsOf('renewed').some((p) => p !== renewedPool), 'a new pool for the renewed CA')
    assert.deepEqual(poolsOf('steady'), [steadyPool], 'an upstream whose TLS did not change keeps its pool')
  } finally {
    await gw.close()
  }
})

/**
 * The keep-alive race over TLS: answers the first request of each connection with a long
 * keep-alive, then closes the connection when a second request arrives on it.
 */
async function closingHttpsUpstream (): Promise<{ server: TlsServer, url: string, connections: () => number }> {
  let connections = 0
  const server = createTlsServer({ cert: readFileSync(users.cert), key: readFileSync(users.key) }, (socket) => {
    connections++
    socket.on('error', () => undefined)
    let answered = false
    socket.on('data', () => {
      if (answered) { socket.destroy(); return }
      answered = true
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\nkeep-alive: timeout=300\r\n\r\nok')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections }
}

test('the keep-alive race on an https upstream: the request sent again on a new connection uses the upstream\'s TLS settings', async () => {
  const closing = await closingHttpsUpstream()
  const gw = await startGateway(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: warn, accessLog: false }
upstreams:
  closing: ${upstream(closing.url, `{ ca: ${ca.cert}, servername: users.internal }`)}
routes:
  - { name: closing, match: { path: / }, upstream: closing }
`)
  try {
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      const res = await request(gw.url + '/x')
      await res.body.dump()
      statuses.push(res.statusCode)
    }
    // Without the CA on the new connection, each replay would fail verification (502).
    assert.deepEqual(statuses, [200, 200, 200, 200])
    assert.ok(closing.connections() >= 4, `every request after the first met a closed connection and went on a new one (${closing.connections()} connections)`)
  } finally {
    await gw.close()
    closing.server.close()
  }
})
