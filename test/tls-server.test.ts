// server.tls on the data plane: certificates chosen by SNI (exact, wildcard, default),
// minVersion, client mTLS with the subject in the access log, and certificate files
// swapped for new connections without a restart (a broken pair is rejected).
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import { copyFile, rename, writeFile } from 'node:fs/promises'
import { after, test } from 'node:test'
import { connect, type ConnectionOptions } from 'node:tls'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'undici'
import { startBackend } from './helpers/backend.js'
import { CertFactory, type Pair } from './helpers/certs.js'
import { startGateway, type TestGateway } from './helpers/gateway.js'
import { LogCapture } from './helpers/log-capture.js'
import type { ReloadResult } from '../src/server.js'

const certs = await CertFactory.create()
const ca = certs.ca('test-ca')
const otherCa = certs.ca('other-ca')
const api = await certs.leaf(ca, 'api', { dns: ['api.example.com'] })
const wild = await certs.leaf(ca, 'wild', { dns: ['*.wild.test'] })
const cnOnly = await certs.leaf(ca, 'cn-only', { subject: '/CN=cn-only.test' })
const client = await certs.leaf(ca, 'client', { subject: '/CN=client-1/O=Acme', client: true })
const stranger = await certs.leaf(otherCa, 'stranger', { subject: '/CN=stranger', client: true })
const backend = await startBackend()
after(async () => {
  await backend.close()
  await certs.close()
})

function config (tls: string, logging = 'logging: { level: error, accessLog: false }'): string {
  return `
server: { host: 127.0.0.1, port: 0, tls: ${tls} }
admin: { host: 127.0.0.1, port: 0, token: test-token }
${logging}
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`
}

/** The handshake's outcome: the CN of the certificate served, its fingerprint, the protocol. */
async function handshake (port: number, options: ConnectionOptions = {}): Promise<{ cn: string, fingerprint: string, protocol: string }> {
  const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options })
  try {
    await once(socket, 'secureConnect')
    const cert = socket.getPeerX509Certificate()
    assert.ok(cert !== undefined)
    const cn = cert.subject.split('\n').find((l) => l.startsWith('CN='))?.slice(3) ?? ''
    return { cn, fingerprint: cert.fingerprint256, protocol: socket.getProtocol() ?? '' }
  } finally {
    socket.destroy()
  }
}

const fingerprintOf = (pair: Pair): string => new X509Certificate(readFileSync(pair.cert)).fingerprint256

test('SNI picks the certificate by exact name, by wildcard, by CN; unknown or absent SNI gets the first', async () => {
  const gw = await startGateway(config(`{ certificates: [{ cert: ${api.cert}, key: ${api.key} }, { cert: ${wild.cert}, key: ${wild.key} }, { cert: ${cnOnly.cert}, key: ${cnOnly.key} }] }`))
  try {
    assert.equal((await handshake(gw.port, { servername: 'api.example.com' })).cn, 'api.example.com')
    assert.equal((await handshake(gw.port, { servername: 'a.wild.test' })).cn, '*.wild.test')
    assert.equal((await handshake(gw.port, { servername: 'B.Wild.Test' })).cn, '*.wild.test', 'names are case-insensitive')
    assert.equal((await handshake(gw.port, { servername: 'a.b.wild.test' })).cn, 'api.example.com', 'a wildcard covers one label only')
    assert.equal((await handshake(gw.port, { servername: 'cn-only.test' })).cn, 'cn-only.test')
    assert.equal((await handshake(gw.port, { servername: 'unknown.test' })).cn, 'api.example.com')
    assert.equal((await handshake(gw.port)).cn, 'api.example.com', 'no SNI (an IP address) gets the default')
    // A client that verifies: the private CA and the wildcard name.
    const agent = new Agent({ connect: { ca: readFileSync(ca.cert), servername: 'x.wild.test' } })
    try {
      const res = await request(`https://127.0.0.1:${gw.port}/hello`, { dispatcher: agent })
      assert.equal(res.statusCode, 200)
      await res.body.dump()
    } finally {
      await agent.close()
    }
  } finally {
    await gw.close()
  }
})

test('minVersion: TLSv1.3 refuses a TLSv1.2 client; the default TLSv1.2 accepts it', async () => {
  const strict = await startGateway(config(`{ cert: ${api.cert}, key: ${api.key}, minVersion: TLSv1.3 }`))
  const lenient = await startGateway(config(`{ cert: ${api.cert}, key: ${api.key} }`))
  try {
    await assert.rejects(handshake(strict.port, { maxVersion: 'TLSv1.2' }), /protocol version|alert/i)
    await assert.rejects(handshake(strict.port, { maxVersion: 'TLSv1.2', servername: 'api.example.com' }), /protocol version|alert/i, 'with SNI too')
    assert.equal((await handshake(strict.port)).protocol, 'TLSv1.3')
    assert.equal((await handshake(lenient.port, { maxVersion: 'TLSv1.2' })).protocol, 'TLSv1.2')
  } finally {
    await strict.close()
    await lenient.close()
  }
})

/** One HTTPS request with (or without) a client certificate; the status, or the error. */
async function get (gw: TestGateway, id: string, pair?: Pair): Promise<number> {
  const agent = new Agent({
    connect: { ca: readFileSync(ca.cert), servername: 'api.example.com', ...(pair === undefined ? {} : { cert: readFileSync(pair.cert), key: readFileSync(pair.key) }) }
  })
  try {
    const res = await request(`https://127.0.0.1:${gw.port}/who`, { dispatcher: agent, headers: { 'x-request-id': id } })
    await res.body.dump()
    return res.statusCode
  } finally {
    await agent.close()
  }
}

test('requireClientCert: a client without a certificate from clientCA is refused; the subject of one with it reaches the access log', async () => {
  const log = new LogCapture()
  const gw = await startGateway(config(`{ cert: ${api.cert}, key: ${api.key}, clientCA: ${ca.cert}, requireClientCert: true }`, 'logging: { level: info, accessLog: true }'), { logger: log.logger })
  try {
    assert.equal(await get(gw, 'mtls-1', client), 200)
    const line = await log.waitFor((l) => l.msg === 'access' && l.reqId === 'mtls-1')
    assert.equal(line.clientCert, 'CN=client-1, O=Acme')
    await assert.rejects(get(gw, 'mtls-2'), 'no client certificate')
    await assert.rejects(get(gw, 'mtls-3', stranger), 'a certificate from another CA')
    assert.equal(log.lines.filter((l) => l.msg === 'access').length, 1, 'refused handshakes never become requests')
  } finally {
    await gw.close()
  }
})

test('optional client certificates: without one the request goes on; only a verified one counts', async () => {
  const log = new LogCapture()
  const gw = await startGateway(config(`{ cert: ${api.cert}, key: ${api.key}, clientCA: ${ca.cert} }`, 'logging: { level: info, accessLog: true }'), { logger: log.logger })
  try {
    assert.equal(await get(gw, 'opt-1'), 200)
    assert.equal(await get(gw, 'opt-2', client), 200)
    assert.equal(await get(gw, 'opt-3', stranger), 200)
    const lines = await Promise.all(['opt-1', 'opt-2', 'opt-3'].map(async (id) => await log.waitFor((l) => l.msg === 'access' && l.reqId === id)))
    assert.deepEqual(lines.map((l) => l.clientCert), [undefined, 'CN=client-1, O=Acme', undefined])
  } finally {
    await gw.close()
  }
})

/** The next certificate-files reload result the gateway reports. */
async function nextCertificateReload (gw: TestGateway, result: ReloadResult['result']): Promise<ReloadResult> {
  return await new Promise((resolve) => {
    const listener = (r: ReloadResult): void => {
      if (r.source !== 'certificates' || r.result !== result) return
      gw.gateway.off('reload', listener)
      resolve(r)
    }
    gw.gateway.on('reload', listener)
  })
}

async function reloadFailures (gw: TestGateway): Promise<number> {
  const text = await (await request(`${gw.adminUrl}/metrics`)).body.text()
  return Number(/^turnpike_config_reloads_total\{result="failure"\} (\d+)/m.exec(text)?.[1] ?? 0)
}

test('a renewed certificate is served to new connections without a restart; a broken pair is rejected and the old one keeps serving', async () => {
  const live: Pair = { cert: certs.file('live.crt'), key: certs.file('live.key') }
  await copyFile(api.cert, live.cert)
  await copyFile(api.key, live.key)
  const gw = await startGateway(config(`{ certificates: [{ cert: ${live.cert}, key: ${live.key} }] }`), { watch: true })
  try {
    assert.equal((await handshake(gw.port)).fingerprint, fingerprintOf(api))
    // Renewal as cert-manager or certbot does it: new files renamed into place.
    const renewed = await certs.leaf(ca, 'renewed', { dns: ['api.example.com'] })
    const swapped = nextCertificateReload(gw, 'success')
    await copyFile(renewed.key, live.key + '.tmp')
    await copyFile(renewed.cert, live.cert + '.tmp')
    await rename(live.key + '.tmp', live.key)
    await rename(live.cert + '.tmp', live.cert)
    await swapped
    assert.equal((await handshake(gw.port)).fingerprint, fingerprintOf(renewed))

    // A key that is not the certificate's: rejected, counted, shown, and the renewed pair stays.
    const failuresBefore = await reloadFailures(gw)
    const rejected = nextCertificateReload(gw, 'failure')
    await copyFile(wild.key, live.key)
    const failure = await rejected
    assert.match(failure.error ?? '', /^server\.tls\.certificates\.0\.key: .* is not the private key of the certificate/)
    assert.equal((await handshake(gw.port)).fingerprint, fingerprintOf(renewed))
    const shown = await (await request(`${gw.adminUrl}/config`)).body.json() as { lastReload: ReloadResult }
    assert.equal(shown.lastReload.result, 'failure')
    assert.equal(shown.lastReload.source, 'certificates')
    assert.equal(await reloadFailures(gw), failuresBefore + 1)

    // An unparsable certificate: rejected too.
    const garbage = nextCertificateReload(gw, 'failure')
    await writeFile(live.cert, 'not a certificate\n')
    assert.match((await garbage).error ?? '', /^server\.tls\.certificates\.0\.cert: .* is not a PEM certificate/)
    assert.equal((await handshake(gw.port)).fingerprint, fingerprintOf(renewed))
  } finally {
    await gw.close()
  }
})

test('POST /reload (as SIGHUP) re-reads the certificate files where they are not watched', async () => {
  const live: Pair = { cert: certs.file('manual.crt'), key: certs.file('manual.key') }
  await copyFile(api.cert, live.cert)
  await copyFile(api.key, live.key)
  const gw = await startGateway(config(`{ cert: ${live.cert}, key: ${live.key} }`), { watch: false })
  try {
    assert.equal((await handshake(gw.port)).fingerprint, fingerprintOf(api))
    const renewed = await certs.leaf(ca, 'manual-renewed', { dns: ['api.example.com'] })
    await copyFile(renewed.key, live.key)
    await copyFile(renewed.cert, live.cert)
    assert.equal((await handshake(gw.port)).fingerprint, fingerprintOf(api), 'not watched: nothing changes by itself')
    const res = await request(`${gw.adminUrl}/reload`, { method: 'POST', headers: { authorization: 'Bearer test-token' } })
    assert.equal(res.statusCode, 200)
    await res.body.dump()
    assert.equal((await handshake(gw.port)).fingerprint, fingerprintOf(renewed))
  } finally {
    await gw.close()
  }
})
