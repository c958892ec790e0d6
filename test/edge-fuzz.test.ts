// A bounded, seeded property-based fuzz of the HTTP edge: fast-check generates short
// sequences of well-formed, odd and malformed HTTP/1 requests, each sequence written on
// one raw connection (pipelined, sometimes split in two writes), and checks that
//   - the gateway stays up (it runs in this process: a crash fails the file) and never
//     catches an internal error,
//   - no answer is a 5xx other than 502/503/504 (and 505 for a non-HTTP/1 version),
//   - nothing reaches the auth-protected route without its credential,
//   - every request that reaches an upstream is well-formed.
// Reproduce a failure with the seed it prints: FUZZ_SEED=<seed> node --import tsx --test test/edge-fuzz.test.ts
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import { hashKey } from '../src/cli/hash-key.js'
import { startGateway, BASE, type TestGateway } from './helpers/gateway.js'

const RUNS = 2500
/** An upper bound on wall time, whatever the machine: the run stops early, it does not fail. */
const TIME_LIMIT_MS = 40_000
const KEY = 'fuzz-key-1'
const OVERRIDES = ['x-original-url', 'x-rewrite-url', 'x-http-method-override', 'x-method-override']
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

interface Upstream { server: Server, port: number, problems: string[], seen: number }

let open: Upstream
let secure: Upstream
let gw: TestGateway

/** A backend that checks every request it gets; `check` adds what this one must hold. */
async function upstream (check: (req: IncomingMessage, problems: string[]) => void): Promise<Upstream> {
  const u: Upstream = { server: createServer({ requireHostHeader: false }), port: 0, problems: [], seen: 0 }
  const fail = (what: string, req?: IncomingMessage): void => {
    u.problems.push(`${what}${req === undefined ? '' : ` in ${req.method ?? ''} ${req.url ?? ''} ${JSON.stringify(req.headers)}`}`)
  }
  u.server.on('clientError', (err: Error, socket: net.Socket) => {
    // The gateway cut a request it had begun to forward: a reset or an early end, not
    // a malformed request.
    if ((err as { code?: string }).code !== 'ECONNRESET' && (err as { code?: string }).code !== 'HPE_INVALID_EOF_STATE') fail(`malformed request: ${err.message}`)
    socket.destroy()
  })
  u.server.on('request', (req, res) => {
    u.seen++
    const host = req.headers.host
    if (req.httpVersion !== '1.1') fail(`HTTP/${req.httpVersion}`, req)
    if (!METHODS.has(req.method ?? '')) fail('method not proxied', req)
    if (req.url?.startsWith('/') !== true) fail('target not origin-form', req)
    if (/\/\.\.?(\/|$)|%2f|%5c/i.test(req.url ?? '')) fail('non-normal path', req)
    if (host === undefined || host === '') fail('no Host', req)
    if (req.headers['x-forwarded-host'] === '') fail('empty X-Forwarded-Host', req)
    const te = req.headers['transfer-encoding']
    if (te !== undefined && te !== 'chunked') fail('transfer coding other than chunked', req)
    if (te !== undefined && req.headers['content-length'] !== undefined) fail('both Transfer-Encoding and Content-Length', req)
    for (const name of OVERRIDES) if (req.headers[name] !== undefined) fail(`${name} forwarded`, req)
    check(req, u.problems)
    req.resume()
    req.on('end', () => { res.end('ok') })
    req.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => u.server.listen(0, '127.0.0.1', resolve))
  u.port = (u.server.address() as AddressInfo).port
  return u
}

before(async () => {
  open = await upstream(() => undefined)
  secure = await upstream((req, problems) => {
    if (req.headers['x-caller'] !== 'fuzzer') problems.push(`reached the protected route without its key: ${req.method ?? ''} ${req.url ?? ''}`)
  })
  gw = await startGateway(`${BASE.replace('port: 0 }', 'port: 0, bodyLimit: 4kb, maxHeaderSize: 2kb, timeouts: { request: 5s } }')}
auth:
  apiKeys:
    keys: [{ id: fuzzer, sha256: "${hashKey(KEY)}" }]
  identityHeader: X-Caller
upstreams:
  open: { targets: [{ url: http://127.0.0.1:${open.port} }] }
  secure: { targets: [{ url: http://127.0.0.1:${secure.port} }] }
  dead: { targets: [{ url: http://127.0.0.1:1 }] }
routes:
  - { name: secure, match: { path: /secure }, upstream: secure, auth: apiKey, websocket: true }
  - { name: dead, match: { path: /dead }, upstream: dead }
  - { name: open, match: { path: / }, upstream: open, websocket: true }
`)
})

after(async () => {
  await gw.close()
  for (const u of [open, secure]) {
    u.server.closeAllConnections()
    await new Promise<void>((resolve) => u.server.close(() => { resolve() }))
  }
})

// ---- generators: pieces that real clients, broken clients and attackers send ----

const method = fc.constantFrom('GET', 'GET', 'POST', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE', 'PRI', 'get', 'G\u00e9T', '')
const target = fc.constantFrom(
  '/', '/x', '/secure', '/secure/a', '/SECURE', '//secure', '/./secure', '/x/../secure', '/x/%2e%2e/secure', '/%73ecure',
  '/x%2fsecure', '/secure;x', '/x;/secure', '/secure#x', '/%ff', '/%c0%ae', '/%', '/a?b=%ff', '/dead', '*',
  'http://gw.test/secure', 'https://gw.test/x', 'gw.test:443', '/x\\secure', '/' + 'a'.repeat(2100), '/ws', ''
)
const version = fc.constantFrom(' HTTP/1.1', ' HTTP/1.1', ' HTTP/1.1', ' HTTP/1.0', ' HTTP/2.0', ' HTTP/1.2', ' HTTP/0.9', '', ' http/1.1', ' HTTP/1.1 ')
const header = fc.constantFrom(
  'Host: gw.test', 'Host: gw.test', 'Host: gw.test', 'Host:', 'Host: a/b', 'Host: gw.test@evil', 'Host : gw.test',
  `X-API-Key: ${KEY}`, 'X-API-Key: wrong', 'X-Caller: fuzzer', 'Authorization: Bearer x.y.z',
  'Content-Length: 5', 'Content-Length: 0', 'Content-Length: 99999', 'Content-Length: -1', 'Content-Length: 5, 5', 'Content-Length: +5',
  'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Transfer-Encoding: chunked, identity', 'Transfer-Encoding: xchunked',
  'Transfer-Encoding:\tchunked', 'Transfer-Encoding: chunked\t',
  'Connection: close', 'Connection: keep-alive', 'Connection: upgrade', 'Connection: keep-alive, x-api-key',
  'Upgrade: websocket', 'Upgrade: h2c', 'Upgrade: x', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 8',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Key: short', 'Expect: 100-continue', 'Expect: x',
  'X-Original-URL: /secure', 'X-Rewrite-URL: /secure', 'X-HTTP-Method-Override: DELETE', 'X-Method-Override: PUT',
  'X-Forwarded-For: 10.0.0.1', 'X-Forwarded-Host: secure.internal', 'Content-Type: ;;;', 'Content-Type: application/json',
  'X-Big: ' + 'b'.repeat(2100), 'Bad Header: x', 'X-Nul: a\u0000b', ' folded', 'X-Obs: \u00ff'
)
const body = fc.constantFrom('', '', 'hello', '5\r\nhello\r\n0\r\n\r\n', '5\r\nhello\r\nzz\r\n', '0\r\n\r\n', 'hel', '5\nhello\n0\n\n')
const eol = fc.constantFrom('\r\n', '\r\n', '\r\n', '\n')

/** Anything from the pools above: mostly refused. */
const wild = fc.record({ method, target, version, headers: fc.array(header, { maxLength: 6 }), body, eol })
  .map(({ method, target, version, headers, body, eol }) =>
    `${method} ${target}${version}${eol}${headers.map((h) => h + eol).join('')}${eol}${body}`)

/** A well-framed HTTP/1.1 request with one odd part at most: mostly forwarded. */
const plausible = fc.record({
  method: fc.constantFrom('GET', 'GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'),
  target,
  key: fc.constantFrom(`X-API-Key: ${KEY}\r\n`, `X-API-Key: ${KEY}\r\n`, 'X-API-Key: wrong\r\n', ''),
  odd: fc.array(header, { maxLength: 2 }),
  body: fc.constantFrom('', 'hello', '{"a":1}')
}).map(({ method, target, key, odd, body }) =>
  `${method} ${target} HTTP/1.1\r\nHost: gw.test\r\n${key}${odd.map((h) => h + '\r\n').join('')}` +
  `${body === '' ? '' : `Content-Length: ${body.length}\r\n`}\r\n${body}`)

const request = fc.oneof({ arbitrary: plausible, weight: 3 }, { arbitrary: wild, weight: 2 })

const sequence = fc.record({
  requests: fc.array(request, { minLength: 1, maxLength: 4 }),
  /** Where to split the bytes into two writes (as a fraction), or no split. */
  split: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined })
})

/** Writes the bytes on a fresh connection, half-closes, resolves with all the gateway sent. */
async function exchange (port: number, data: Buffer, split: number | undefined): Promise<string> {
  return await new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    // A tunnel (101) stays open while the client does: cut it after a while.
    const timer = setTimeout(() => { socket.destroy() }, 3000)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks).toString('latin1'))
    })
    socket.once('connect', () => {
      const at = split === undefined ? data.length : Math.floor(split * data.length)
      socket.write(data.subarray(0, at))
      socket.end(data.subarray(at))
    })
  })
}

async function caughtErrors (): Promise<number> {
  return (await gw.gateway.metrics.internalErrorsTotal.get()).values.reduce((sum, v) => sum + v.value, 0)
}

test(`${RUNS} generated request sequences: no crash, no stray 5xx, no unauthenticated or malformed request upstream`, { timeout: TIME_LIMIT_MS + 60_000 }, async (t) => {
  const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 0x7fffffff))
  const caughtBefore = await caughtErrors()
  const property = fc.asyncProperty(sequence, async ({ requests, split }) => {
    const data = Buffer.from(requests.join(''), 'latin1')
    const answer = await exchange(gw.port, data, split)
    for (const m of answer.matchAll(/HTTP\/1\.[01] (\d{3}) [A-Z]/g)) {
      const status = Number(m[1])
      if (status < 500 || status === 502 || status === 503 || status === 504) continue
      if (status === 505 && data.includes('HTTP/2.0')) continue // the only answer for a non-HTTP/1 version
      throw new Error(`answered ${status}: ${answer.slice(0, 600)}`)
    }
    const problems = [...open.problems.splice(0), ...secure.problems.splice(0)]
    if (problems.length > 0) throw new Error(problems.join('\n'))
    if (await caughtErrors() !== caughtBefore) throw new Error('the last line of defence caught an internal error')
  })
  const details = await fc.check(property, { seed, numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false })
  t.diagnostic(`seed ${seed}: ${details.numRuns} sequences run${details.interrupted ? ' (stopped at the time limit)' : ''}; ` +
    `${open.seen} requests forwarded to the open route, ${secure.seen} to the protected one`)
  if (details.failed) {
    assert.fail(`edge fuzz failed; reproduce with FUZZ_SEED=${seed}\n${fc.defaultReportMessage(details) ?? ''}`)
  }
  assert.ok(details.numRuns >= 200, `only ${details.numRuns} sequences ran within the time limit`)
  assert.ok(open.seen > 0 && secure.seen > 0, 'the generators reach both routes')
})
