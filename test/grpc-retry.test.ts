// Route retries for gRPC: a call is sent again only when the upstream did not take it
// (UNAVAILABLE in a trailers-only answer, refused, reset) and the gateway holds the
// whole request (its stream ended within 64 KiB); any other status, or UNAVAILABLE
// after response data, reaches the client as the upstream sent it, after one call.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { constants, createServer } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { after, test } from 'node:test'
import { request } from 'undici'
import { startChildGateway, type LogLine } from './helpers/child.js'
import { waitForLines } from './helpers/cluster.js'
import { freePort } from './helpers/free-port.js'
import { startGateway } from './helpers/gateway.js'
import { echoClient, grpc, startGrpcEcho, startGrpcFailing, unary } from './helpers/grpc-echo.js'

const RETRY = 'retry: { attempts: 2, backoff: 1ms, maxBackoff: 5ms, on: [connect-failure, reset, 502, 503] }'

const healthy = await startGrpcEcho()
const unavailable = await startGrpcFailing(grpc.status.UNAVAILABLE)
const invalid = await startGrpcFailing(grpc.status.INVALID_ARGUMENT)
const deadPort = await freePort()
// An HTTP/2 server that reads each request to its end and resets the stream unanswered.
const resetting = { calls: 0, server: createServer() }
resetting.server.on('stream', (stream) => {
  resetting.calls++
  stream.on('error', () => undefined) // its own reset, reported back to it
  stream.resume()
  stream.on('end', () => { stream.close(constants.NGHTTP2_INTERNAL_ERROR) })
})
resetting.server.listen(0, '127.0.0.1')
await once(resetting.server, 'listening')
const resettingPort = (resetting.server.address() as AddressInfo).port
after(async () => {
  resetting.server.close()
  await healthy.close()
  await unavailable.close()
  await invalid.close()
})

const target = (port: number): string => `{ url: http://127.0.0.1:${port} }`
const config = (server = 'http2: true', logging = 'logging: { level: error, accessLog: false }'): string => `
server: { host: 127.0.0.1, port: 0, ${server} }
admin: { host: 127.0.0.1, port: 0 }
${logging}
upstreams:
  flaky: { protocol: h2c, targets: [${target(unavailable.port)}, ${target(healthy.port)}] }
  refusing: { protocol: h2c, targets: [${target(deadPort)}, ${target(healthy.port)}] }
  resetting: { protocol: h2c, targets: [${target(resettingPort)}, ${target(healthy.port)}] }
  invalid: { protocol: h2c, targets: [${target(invalid.port)}] }
  down: { protocol: h2c, targets: [${target(unavailable.port)}] }
  up: { protocol: h2c, targets: [${target(healthy.port)}] }
  gone: { protocol: h2c, targets: [${target(deadPort)}] }
routes:
  - { name: gone, match: { path: /test.Echo, headers: { x-upstream: gone } }, upstream: gone, ${RETRY} }
  - { name: up, match: { path: /test.Echo, headers: { x-upstream: up } }, upstream: up, ${RETRY} }
  - { name: refusing, match: { path: /test.Echo, headers: { x-upstream: refusing } }, upstream: refusing, ${RETRY} }
  - { name: resetting, match: { path: /test.Echo, headers: { x-upstream: resetting } }, upstream: resetting, ${RETRY} }
  - { name: invalid, match: { path: /test.Echo, headers: { x-upstream: invalid } }, upstream: invalid, ${RETRY} }
  - { name: down, match: { path: /test.Echo, headers: { x-upstream: down } }, upstream: down, ${RETRY} }
  - { name: once, match: { path: /test.Echo, headers: { x-upstream: once } }, upstream: invalid }
  - { name: flaky, match: { path: /test.Echo }, upstream: flaky, ${RETRY} }
`

function to (upstream: string): grpc.Metadata {
  const md = new grpc.Metadata()
  md.set('x-upstream', upstream)
  return md
}

async function retriesMetric (adminUrl: string, route: string): Promise<number> {
  const text = await (await request(`${adminUrl}/metrics`)).body.text()
  // Summed over workers when there are several (each series carries its worker label).
  return text.split('\n')
    .filter((l) => l.startsWith('turnpike_retries_total{') && l.includes(`route="${route}"`))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0)
}

async function codeOf (call: Promise<unknown>): Promise<number> {
  try {
    await call
    return grpc.status.OK
  } catch (err) {
    return (err as grpc.ServiceError).code
  }
}

/** A client-streaming call of `messages`; resolves with the reply, rejects with the status. */
async function clientStream (client: ReturnType<typeof echoClient>, messages: string[], md: grpc.Metadata): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    const call = client.ClientStream(md, (err: grpc.ServiceError | null, res: { text: string }) => { if (err !== null) reject(err); else resolve(res.text) }) as grpc.ClientWritableStream<{ text: string }>
    for (const text of messages) call.write({ text })
    call.end()
  })
}

test('UNAVAILABLE before any answer, a refused connection or a reset stream is retried on the other target: every call succeeds', async () => {
  const gw = await startGateway(config())
  const client = echoClient(`127.0.0.1:${gw.port}`)
  try {
    const before = unavailable.calls
    for (let i = 0; i < 10; i++) assert.equal((await unary(client, `flaky-${i}`)).reply.text, `echo:flaky-${i}`)
    const seen = unavailable.calls - before
    assert.ok(seen > 0, 'some calls met the UNAVAILABLE target first')
    // Each of them was retried once, on the healthy target.
    assert.equal(await retriesMetric(gw.adminUrl, 'flaky'), seen)

    for (let i = 0; i < 10; i++) assert.equal((await unary(client, `refused-${i}`, to('refusing'))).reply.text, `echo:refused-${i}`)
    assert.ok(await retriesMetric(gw.adminUrl, 'refusing') > 0, 'some calls met the refusing target first')

    for (let i = 0; i < 10; i++) assert.equal((await unary(client, `reset-${i}`, to('resetting'))).reply.text, `echo:reset-${i}`)
    assert.ok(resetting.calls > 0, 'some calls met the resetting target first')
    assert.equal(await retriesMetric(gw.adminUrl, 'resetting'), resetting.calls)
  } finally {
    client.close()
    await gw.close()
  }
})

test('any other status, or UNAVAILABLE after response data, is the answer: one call, relayed as sent', async () => {
  const gw = await startGateway(config())
  const client = echoClient(`127.0.0.1:${gw.port}`)
  try {
    const failed = await unary(client, 'x', to('invalid')).catch((err: grpc.ServiceError) => err)
    assert.equal((failed as grpc.ServiceError).code, grpc.status.INVALID_ARGUMENT)
    assert.equal((failed as grpc.ServiceError).details, 'told to answer INVALID_ARGUMENT')
    assert.equal(invalid.calls, 1)
    // Relayed as it came (one HEADERS frame ending the stream) on a route without retry too.
    assert.equal(await codeOf(unary(client, 'x', to('once'))), grpc.status.INVALID_ARGUMENT)
    assert.equal(invalid.calls, 2)

    // The control: on this route a trailers-only UNAVAILABLE is tried three times.
    let before = unavailable.calls
    assert.equal(await codeOf(unary(client, 'x', to('down'))), grpc.status.UNAVAILABLE)
    assert.equal(unavailable.calls - before, 3)

    before = unavailable.calls
    const served: string[] = []
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      const call = client.ServerStream({ text: 's' }, to('down')) as grpc.ClientReadableStream<{ text: string }>
      call.on('data', (m: { text: string }) => served.push(m.text))
      call.on('error', () => undefined)
      call.on('status', resolve)
    })
    assert.deepEqual(served, ['first'])
    assert.equal(status.code, grpc.status.UNAVAILABLE)
    assert.equal(unavailable.calls - before, 1)
    assert.equal(await retriesMetric(gw.adminUrl, 'invalid'), 0)
  } finally {
    client.close()
    await gw.close()
  }
})

test('a request body is replayed byte for byte: the retried call gets the same message', async () => {
  const gw = await startGateway(config())
  const client = echoClient(`127.0.0.1:${gw.port}`)
  try {
    const before = unavailable.received.length
    // Just under 64 KiB with gRPC's framing; distinct for each call.
    for (let i = 0; i < 4; i++) {
      const text = randomBytes(45_000).toString('base64') // 60,000 characters
      assert.equal((await unary(client, text)).reply.text, 'echo:' + text)
    }
    const received = unavailable.received.slice(before)
    assert.ok(received.length > 0, 'some calls met the UNAVAILABLE target first')
    assert.ok(received.every((n) => n === 60_000))
    assert.equal(await retriesMetric(gw.adminUrl, 'flaky'), received.length)
  } finally {
    client.close()
    await gw.close()
  }
})

test('a client-streaming call past 64 KiB is attempted once; a small one is retried', async () => {
  const gw = await startGateway(config())
  const client = echoClient(`127.0.0.1:${gw.port}`)
  try {
    let before = unavailable.calls
    const small = ['a', 'b', 'c']
    assert.equal(await codeOf(clientStream(client, small, to('down'))), grpc.status.UNAVAILABLE)
    assert.equal(unavailable.calls - before, 3)

    before = unavailable.calls
    const large = Array.from({ length: 10 }, (_, i) => String(i).repeat(10_000)) // 100 kB
    assert.equal(await codeOf(clientStream(client, large, to('down'))), grpc.status.UNAVAILABLE)
    assert.equal(unavailable.calls - before, 1)
    // The one attempt got the whole stream.
    assert.deepEqual(unavailable.received.slice(-10), large.map((m) => m.length))

    // The same against a refusing target: the small one is retried twice, the large one not.
    assert.equal(await codeOf(clientStream(client, small, to('gone'))), grpc.status.UNAVAILABLE)
    assert.equal(await retriesMetric(gw.adminUrl, 'gone'), 2)
    assert.equal(await codeOf(clientStream(client, large, to('gone'))), grpc.status.UNAVAILABLE)
    assert.equal(await retriesMetric(gw.adminUrl, 'gone'), 2)

    // Past 64 KiB against a healthy target: streamed through as before.
    assert.equal(await clientStream(client, large, to('up')), large.join('+'))
  } finally {
    client.close()
    await gw.close()
  }
})

test('workers: 2, UNAVAILABLE and refused calls are retried in each worker: every call succeeds', async (t) => {
  const gw = await startChildGateway(config('http2: true, workers: 2', 'logging: { level: info, accessLog: true }'))
  t.after(async () => { await gw.close() })
  const port = new URL(gw.url).port
  const before = unavailable.calls
  // A channel each (no shared subchannel), so calls spread over both workers' connections.
  const clients = Array.from({ length: 8 }, () => echoClient(`127.0.0.1:${port}`, undefined, { 'grpc.use_local_subchannel_pool': 1 }))
  try {
    await Promise.all(clients.map(async (client, i) => {
      for (let j = 0; j < 3; j++) {
        assert.equal((await unary(client, `w${i}-${j}`)).reply.text, `echo:w${i}-${j}`)
        assert.equal((await unary(client, `r${i}-${j}`, to('refusing'))).reply.text, `echo:r${i}-${j}`)
      }
    }))
  } finally {
    for (const client of clients) client.close()
  }
  assert.ok(unavailable.calls - before > 0, 'some calls met the UNAVAILABLE target first')
  const flaky = (l: LogLine): boolean => l.msg === 'access' && l.route === 'flaky'
  await waitForLines(gw, flaky, 24)
  const workers = new Set(gw.logs.filter(flaky).map((l) => l.worker))
  assert.equal(workers.size, 2, 'both workers served')
  assert.ok(await retriesMetric(gw.adminUrl, 'flaky') > 0)
  assert.ok(await retriesMetric(gw.adminUrl, 'refusing') > 0)
})
