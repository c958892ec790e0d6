// A retried gRPC call keeps the client's deadline: it counts from when the gateway got
// the call, so each retry waits only for what is left of it and tells the upstream that
// (grpc-timeout), and a call whose deadline runs out during its retries gets the
// gateway's DEADLINE_EXCEEDED at about that deadline, not one more full timeout per try.
// Regression test for retries that each got the whole grpc-timeout again and sent the
// client's header upstream unchanged.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { after, test } from 'node:test'
import { formatGrpcTimeout } from '../src/grpc/status.js'
import { startGateway } from './helpers/gateway.js'
import { echoClient, grpc, unary } from './helpers/grpc-echo.js'
import { h2Request, openSession, type H2Answer } from './helpers/h2-client.js'

/** One call as the upstream saw it. */
interface Seen { readonly timeout: string | undefined, readonly at: number }

/**
 * A test.Echo upstream on node:http2, so each call's grpc-timeout is seen as it came:
 * the first `failures` calls get a trailers-only UNAVAILABLE `failAfterMs` after they
 * were read; later calls the reply `ok`.
 */
async function startScripted (failures: number, failAfterMs: number): Promise<{ port: number, seen: Seen[], close: () => void }> {
  const seen: Seen[] = []
  const server = createServer()
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    seen.push({ timeout: headers['grpc-timeout'] as string | undefined, at: performance.now() })
    const failing = seen.length <= failures
    stream.on('error', () => undefined)
    stream.resume()
    stream.on('end', () => {
      if (!failing) {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
        stream.on('wantTrailers', () => { stream.sendTrailers({ 'grpc-status': '0' }) })
        stream.end(grpcFrame('ok'))
        return
      }
      setTimeout(() => {
        if (stream.destroyed) return
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '14', 'grpc-message': 'try again' }, { endStream: true })
      }, failAfterMs)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { port: (server.address() as AddressInfo).port, seen, close: () => { server.close() } }
}

/** A test.Echo message { text } in gRPC's length-prefixed framing. */
function grpcFrame (text: string): Buffer {
  const message = Buffer.concat([Buffer.from([0x0a, text.length]), Buffer.from(text)]) // field 1, length-delimited
  const head = Buffer.alloc(5)
  head.writeUInt32BE(message.length, 1)
  return Buffer.concat([head, message])
}

const UNIT_MS: Record<string, number> = { n: 1e-6, u: 1e-3, m: 1, S: 1000, M: 60_000, H: 3_600_000 }

/** A grpc-timeout value in (fractional) milliseconds, checking its form on the way. */
function timeoutMs (value: string | undefined): number {
  const match = /^(\d{1,8})([numSMH])$/.exec(value ?? '')
  assert.ok(match !== null, `a well-formed grpc-timeout: ${value}`)
  return Number(match[1]) * UNIT_MS[match[2]!]!
}

const retried = await startScripted(1, 300)
const failing = await startScripted(Infinity, 300)
const quick = await startScripted(Infinity, 0)
after(() => {
  retried.close()
  failing.close()
  quick.close()
})

const gw = await startGateway(`
server: { host: 127.0.0.1, port: 0, http2: true }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: error, accessLog: false }
upstreams:
  retried: { protocol: h2c, targets: [{ url: http://127.0.0.1:${retried.port} }] }
  failing: { protocol: h2c, targets: [{ url: http://127.0.0.1:${failing.port} }] }
  quick: { protocol: h2c, targets: [{ url: http://127.0.0.1:${quick.port} }] }
routes:
  - { name: failing, match: { path: /test.Echo, headers: { x-upstream: failing } }, upstream: failing, retry: { attempts: 5, backoff: 1ms, maxBackoff: 1ms } }
  - { name: quick, match: { path: /test.Echo, headers: { x-upstream: quick } }, upstream: quick, retry: { attempts: 3, backoff: 10s, maxBackoff: 10s } }
  - { name: retried, match: { path: /test.Echo }, upstream: retried, retry: { attempts: 2, backoff: 1ms, maxBackoff: 1ms } }
`)
after(async () => { await gw.close() })

/**
 * A unary call sent by hand with `grpc-timeout` and no deadline of the client's own, so
 * what comes back is the gateway's answer; given up after `guardMs`.
 */
async function rawCall (upstream: string, grpcTimeout: string, guardMs: number): Promise<{ answer: H2Answer, ms: number }> {
  const session = await openSession(gw.url)
  const guard = setTimeout(() => { session.destroy(new Error(`no answer within ${guardMs} ms`)) }, guardMs)
  try {
    const started = performance.now()
    const answer = await h2Request(session, {
      ':method': 'POST', ':path': '/test.Echo/Unary', 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': grpcTimeout, 'x-upstream': upstream
    }, grpcFrame('x'))
    return { answer, ms: performance.now() - started }
  } finally {
    clearTimeout(guard)
    session.close()
  }
}

test('a retry tells the upstream what is left of the deadline, not the whole of it again', async () => {
  const client = echoClient(`127.0.0.1:${gw.port}`)
  try {
    const { reply } = await unary(client, 'hello', new grpc.Metadata(), { deadline: Date.now() + 2000 })
    assert.equal(reply.text, 'ok')
  } finally {
    client.close()
  }
  assert.equal(retried.seen.length, 2)
  const [first, second] = retried.seen.map((s) => timeoutMs(s.timeout)) as [number, number]
  assert.ok(first <= 2000 && first > 1800, `the first attempt got about the client's 2 s: ${retried.seen[0]!.timeout}`)
  // The first attempt took 300 ms to fail: the retry has at most 1.7 s.
  assert.ok(second > 0 && second < 1750, `the retry got what is left: ${retried.seen[1]!.timeout}`)
  const gap = retried.seen[1]!.at - retried.seen[0]!.at
  assert.ok(gap >= 290, `the first call took ~300 ms: ${gap}`)
  assert.ok(Math.abs(first - second - gap) < 100, `less by the time between the attempts: ${first} - ${second} vs ${gap} ms`)
})

test('a deadline that runs out during the retries: DEADLINE_EXCEEDED at about the deadline, fewer attempts than allowed', async () => {
  const { answer, ms } = await rawCall('failing', '1S', 5000)
  // Tries at 0, 300, 600 and 900 ms; the fourth has 100 ms left when the deadline passes.
  assert.equal(answer.headers['grpc-status'], String(grpc.status.DEADLINE_EXCEEDED))
  assert.ok(ms >= 950 && ms < 1400, `answered at the deadline: ${Math.round(ms)} ms`)
  assert.ok(failing.seen.length < 6 && failing.seen.length >= 2, `attempts: ${failing.seen.length} of the route's 6`)
  // Each told the upstream what was left, less each time.
  const told = failing.seen.map((s) => timeoutMs(s.timeout))
  for (let i = 1; i < told.length; i++) assert.ok(told[i]! < told[i - 1]! - 250, `attempt ${i + 1}: ${told.join(', ')}`)

  // Seen by a gRPC client with its own 1 s deadline: the same status, at about the same time.
  const client = echoClient(`127.0.0.1:${gw.port}`)
  try {
    const md = new grpc.Metadata()
    md.set('x-upstream', 'failing')
    const started = performance.now()
    const err = await unary(client, 'x', md, { deadline: Date.now() + 1000 }).then(() => null, (e: grpc.ServiceError) => e)
    assert.equal(err?.code, grpc.status.DEADLINE_EXCEEDED)
    assert.ok(performance.now() - started < 1400)
  } finally {
    client.close()
  }
})

test('a deadline that runs out during the backoff wait: the retry is not sent, DEADLINE_EXCEEDED at the deadline', async (t) => {
  // Each wait is 90% of the backoff: 9 s, far past the call's 500 ms.
  t.mock.method(Math, 'random', () => 0.9)
  const { answer, ms } = await rawCall('quick', '500m', 3000)
  t.mock.restoreAll()
  assert.equal(answer.headers['grpc-status'], String(grpc.status.DEADLINE_EXCEEDED))
  assert.equal(answer.endedWithHead, true)
  assert.ok(ms >= 450 && ms < 900, `answered at the deadline, not after the wait: ${Math.round(ms)} ms`)
  assert.equal(quick.seen.length, 1, 'the retry was not sent')
})

test('grpc-timeout values: the finest unit that fits in 8 digits, rounded up, never 0', () => {
  assert.equal(formatGrpcTimeout(0.25), '250000n')
  assert.equal(formatGrpcTimeout(99), '99000000n')
  assert.equal(formatGrpcTimeout(100), '100000u') // 100,000,000 ns is 9 digits
  assert.equal(formatGrpcTimeout(1700.5), '1700500u')
  assert.equal(formatGrpcTimeout(99_999), '99999000u')
  assert.equal(formatGrpcTimeout(100_000), '100000m')
  assert.equal(formatGrpcTimeout(99_999_999), '99999999m')
  assert.equal(formatGrpcTimeout(100_000_000), '100000S')
  assert.equal(formatGrpcTimeout(99_999_999_000), '99999999S')
  assert.equal(formatGrpcTimeout(100_000_000_000), '1666667M') // 1,666,666.67 minutes, rounded up
  assert.equal(formatGrpcTimeout(5_999_999_940_000), '99999999M') // exactly 8 digits of minutes
  assert.equal(formatGrpcTimeout(6_000_000_000_000), '1666667H') // 100,000,000 minutes is 9 digits
  // Up, never down: the upstream is never told less than is left.
  assert.equal(formatGrpcTimeout(1.0000004), '1000001n')
  assert.equal(formatGrpcTimeout(99.9999995), '100000u') // 99,999,999.5 ns rounds up past 8 digits
  assert.equal(formatGrpcTimeout(123_456.0001), '123457m')
  // Never 0, however little is left.
  assert.equal(formatGrpcTimeout(0.0000001), '1n')
  assert.equal(formatGrpcTimeout(0), '1n')
  // The 8-digit cap: past 99999999 hours, that.
  assert.equal(formatGrpcTimeout(1e20), '99999999H')
  assert.equal(formatGrpcTimeout(Infinity), '99999999H')
  for (const ms of [0.001, 0.5, 3, 42, 1000, 86_400_000, 1e15]) assert.match(formatGrpcTimeout(ms), /^[1-9]\d{0,7}[numSMH]$/)
})
