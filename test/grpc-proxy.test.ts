// gRPC through the gateway (client h2c / h2 → gateway → upstream h2c / h2): all four
// call shapes with metadata and trailers intact, grpc-timeout honoured, the gateway's
// own answers as gRPC statuses, `type: grpc` health checks, protocol="grpc" metrics.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, test } from 'node:test'
import { request } from 'undici'
import { CertFactory } from './helpers/certs.js'
import { startGateway } from './helpers/gateway.js'
import { LogCapture } from './helpers/log-capture.js'
import { echoClient, grpc, startGrpcEcho, unary } from './helpers/grpc-echo.js'
import { h2Get } from './helpers/h2-client.js'

const certs = await CertFactory.create()
const ca = certs.ca('grpc-ca')
const serverPair = await certs.leaf(ca, 'grpc-upstream', { dns: ['localhost'] })
const gatewayPair = await certs.leaf(ca, 'grpc-gw', { dns: ['localhost'] })
const plain = await startGrpcEcho()
const secure = await startGrpcEcho(grpc.ServerCredentials.createSsl(null, [{ cert_chain: readFileSync(serverPair.cert), private_key: readFileSync(serverPair.key) }]))
after(async () => {
  await plain.close()
  await secure.close()
  await certs.close()
})

const config = (logging = 'logging: { level: error, accessLog: false }', server = 'http2: true'): string => `
server: { host: 127.0.0.1, port: 0, ${server} }
admin: { host: 127.0.0.1, port: 0, token: t }
${logging}
upstreams:
  plain: { protocol: h2c, targets: [{ url: http://127.0.0.1:${plain.port} }] }
  secure:
    protocol: h2
    tls: { ca: ${ca.cert}, servername: localhost }
    targets: [{ url: https://127.0.0.1:${secure.port} }]
  dead: { protocol: h2c, targets: [{ url: http://127.0.0.1:1 }] }
routes:
  - { name: echo, match: { path: /test.Echo }, upstream: plain }
  - { name: limited, match: { path: /test.Echo/Unary, headers: { x-limit: "yes" } }, upstream: plain, rateLimit: { max: 1, window: 1m } }
  - { name: keyed, match: { path: /test.Echo/Unary, headers: { x-auth: "yes" } }, upstream: plain, auth: apiKey }
  - { name: secure, match: { path: /test.Echo/Unary, headers: { x-secure: "yes" } }, upstream: secure }
  - { name: dead, match: { path: /test.Echo/Unary, headers: { x-dead: "yes" } }, upstream: dead }
auth:
  apiKeys: { header: x-api-key, keys: [{ id: ci, sha256: "${'0'.repeat(64)}" }] }
`

test('unary and the three streaming shapes pass through with metadata and trailers; h2 upstream over TLS too', async () => {
  const logs = new LogCapture()
  const gw = await startGateway(config('logging: { level: info, accessLog: true }'), { logger: logs.logger })
  const client = echoClient(`127.0.0.1:${gw.port}`)
  try {
    const md = new grpc.Metadata()
    md.set('x-meta', 'm1')
    const one = await unary(client, 'hi', md)
    assert.equal(one.reply.text, 'echo:hi')
    assert.equal(one.headers.get('x-meta-echo')[0], 'm1')
    assert.equal(one.trailers.get('x-trailer')[0], 'done:m1')

    const served: string[] = []
    await new Promise<void>((resolve, reject) => {
      const call = client.ServerStream({ text: 's' }) as grpc.ClientReadableStream<{ text: string }>
      call.on('data', (m) => served.push(m.text))
      call.on('error', reject)
      call.on('end', resolve)
    })
    assert.deepEqual(served, ['s-0', 's-1', 's-2'])

    const summed = await new Promise<string>((resolve, reject) => {
      const call = client.ClientStream((err: grpc.ServiceError | null, res: { text: string }) => { if (err !== null) reject(err); else resolve(res.text) }) as grpc.ClientWritableStream<{ text: string }>
      for (const text of ['a', 'b', 'c']) call.write({ text })
      call.end()
    })
    assert.equal(summed, 'a+b+c')

    // Bidi, one message at a time: each answer must come back before the next is sent.
    const bidi = client.Bidi() as grpc.ClientDuplexStream<{ text: string }, { text: string }>
    for (const text of ['x', 'y']) {
      const next = new Promise<string>((resolve) => bidi.once('data', (m: { text: string }) => { resolve(m.text) }))
      bidi.write({ text })
      assert.equal(await next, 're:' + text)
    }
    const status = new Promise<grpc.StatusObject>((resolve) => bidi.once('status', resolve))
    bidi.end()
    bidi.resume()
    assert.equal((await status).code, grpc.status.OK)

    const failed = await unary(client, 'fail').catch((err: grpc.ServiceError) => err)
    assert.equal((failed as grpc.ServiceError).code, grpc.status.FAILED_PRECONDITION)
    assert.equal((failed as grpc.ServiceError).details, 'told to fail')

    const secureMd = new grpc.Metadata()
    secureMd.set('x-secure', 'yes')
    assert.equal((await unary(client, 'tls', secureMd)).reply.text, 'echo:tls')

    const line = await logs.waitFor((l) => l.msg === 'access' && l.route === 'echo' && l.grpcStatus === 9)
    assert.equal(line.protocol, 'grpc')
    assert.equal(line.status, 200)
    const metrics = await (await request(`${gw.adminUrl}/metrics`)).body.text()
    assert.match(metrics, /turnpike_requests_total\{route="echo",method="POST",status="200",protocol="grpc"\} \d+/)
  } finally {
    client.close()
    await gw.close()
  }
})

test('a server that ends a bidi call while the client still streams: its messages, OK and trailers reach the client', async () => {
  const gw = await startGateway(config())
  const client = echoClient(`127.0.0.1:${gw.port}`)
  try {
    const md = new grpc.Metadata()
    md.set('x-meta', 'open')
    const bidi = client.Bidi(md) as grpc.ClientDuplexStream<{ text: string }, { text: string }>
    const got: string[] = []
    bidi.on('data', (m: { text: string }) => got.push(m.text))
    const status = new Promise<grpc.StatusObject>((resolve) => bidi.once('status', resolve))
    bidi.on('error', () => undefined)
    bidi.write({ text: 'x' })
    bidi.write({ text: 'end' }) // the client never half-closes: the server ends the call
    const s = await status
    assert.equal(s.code, grpc.status.OK, s.details)
    assert.equal(s.metadata.get('x-trailer')[0], 'done:open')
    assert.deepEqual(got, ['re:x', 're:end'])
  } finally {
    client.close()
    await gw.close()
  }
})

test("the gateway's own answers are gRPC statuses: no route, auth, rate limit, no healthy target, deadline", async () => {
  const logs = new LogCapture()
  const gw = await startGateway(config('logging: { level: info, accessLog: true }'), { logger: logs.logger })
  const client = echoClient(`127.0.0.1:${gw.port}`)
  const codeOf = async (text: string, headers: Record<string, string> = {}, options: grpc.CallOptions = {}): Promise<[number, string]> => {
    const md = new grpc.Metadata()
    for (const [k, v] of Object.entries(headers)) md.set(k, v)
    try {
      await unary(client, text, md, options)
      return [grpc.status.OK, '']
    } catch (err) {
      return [(err as grpc.ServiceError).code, (err as grpc.ServiceError).details]
    }
  }
  try {
    const other = new (grpc.makeGenericClientConstructor({}, 'x'))(`127.0.0.1:${gw.port}`, grpc.credentials.createInsecure())
    const unknown = await new Promise<grpc.ServiceError>((resolve) => {
      other.makeUnaryRequest('/other.Service/Call', (x: Buffer) => x, (x: Buffer) => x, Buffer.alloc(0), (err) => { resolve(err as grpc.ServiceError) })
    })
    other.close()
    assert.equal(unknown.code, grpc.status.UNIMPLEMENTED)
    assert.match(unknown.details, /No route/)
    assert.equal((await codeOf('k', { 'x-auth': 'yes' }))[0], grpc.status.UNAUTHENTICATED)
    assert.equal((await codeOf('l', { 'x-limit': 'yes' }))[0], grpc.status.OK)
    assert.equal((await codeOf('l', { 'x-limit': 'yes' }))[0], grpc.status.RESOURCE_EXHAUSTED)
    assert.equal((await codeOf('d', { 'x-dead': 'yes' }))[0], grpc.status.UNAVAILABLE)
    // grpc-timeout: the client's 300 ms deadline, against an upstream taking 3 s.
    const [deadline] = await codeOf('sleep:3000', {}, { deadline: Date.now() + 300 })
    assert.equal(deadline, grpc.status.DEADLINE_EXCEEDED)

    // Trailers-only on the wire, HTTP 200; logged with the status it stands for.
    const raw = await h2Get(gw.url, '/nope.Service/Call', { ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers' })
    assert.equal(raw.status, 200)
    assert.equal(raw.endedWithHead, true)
    assert.equal(raw.headers['grpc-status'], '12')
    const line = await logs.waitFor((l) => l.msg === 'access' && l.status === 404 && l.protocol === 'grpc')
    assert.equal(line.grpcStatus, 12)
    const metrics = await (await request(`${gw.adminUrl}/metrics`)).body.text()
    assert.match(metrics, /turnpike_requests_total\{route="limited",method="POST",status="429",protocol="grpc"\} 1/)
  } finally {
    client.close()
    await gw.close()
  }
})

test('gRPC over TLS to the gateway (h2 by ALPN)', async () => {
  const gw = await startGateway(config(undefined, `http2: true, tls: { cert: ${gatewayPair.cert}, key: ${gatewayPair.key} }`))
  const client = echoClient(`localhost:${gw.port}`, grpc.credentials.createSsl(readFileSync(ca.cert)))
  try {
    assert.equal((await unary(client, 'over-tls')).reply.text, 'echo:over-tls')
  } finally {
    client.close()
    await gw.close()
  }
})

test('healthCheck type grpc: SERVING keeps a target in, NOT_SERVING takes it out', async () => {
  const target = await startGrpcEcho()
  const gw = await startGateway(`
server: { host: 127.0.0.1, port: 0, http2: true }
admin: { host: 127.0.0.1, port: 0, token: t }
logging: { level: error, accessLog: false }
upstreams:
  g:
    protocol: h2c
    targets: [{ url: http://127.0.0.1:${target.port} }]
    healthCheck: { type: grpc, path: /, interval: 100ms, timeout: 1s, healthyThreshold: 1, unhealthyThreshold: 1 }
routes:
  - { name: g, match: { path: /test.Echo }, upstream: g }
`)
  const backends = async (): Promise<boolean> => {
    const body = await (await request(`${gw.adminUrl}/backends`)).body.json() as { upstreams: { g: { targets: Array<{ healthy: boolean }> } } }
    return body.upstreams.g.targets[0]?.healthy ?? false
  }
  const until = async (want: boolean): Promise<void> => {
    for (let i = 0; i < 100; i++) {
      if (await backends() === want) return
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    assert.fail(`target never became healthy=${String(want)}`)
  }
  try {
    await until(true)
    target.health.status = 'NOT_SERVING'
    await until(false)
    target.health.status = 'SERVING'
    await until(true)
  } finally {
    await gw.close()
    await target.close()
  }
})
