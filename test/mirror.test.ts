// `mirror`: the copy goes out with its body (up to 64 KiB), its answer is dropped, and
// a hanging or dead mirror never delays, changes or fails the real answer; copies past
// maxInFlight are skipped and counted.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer as createH2cServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { request } from 'undici'
import { startBackend, type SeenRequest } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'
import { freePort } from './helpers/free-port.js'
import { startDnsServer } from './helpers/dns-server.js'

// Counters are per process: each test has its own route name.
async function mirrorCount (gw: TestGateway, result: string): Promise<number> {
  const name = (gw as TestGateway & { route: string }).route
  const text = await (await request(`${gw.adminUrl}/metrics`)).body.text()
  const line = text.split('\n').find((l) => l.startsWith(`turnpike_mirror_requests_total{route="${name}",result="${result}"} `))
  return Number(line?.split(' ').pop() ?? 0)
}

/** Polls the counter until it reaches `n` (bounded: the copy's answer comes on its own time). */
async function untilCount (gw: TestGateway, result: string, n: number): Promise<void> {
  const deadline = Date.now() + 10_000
  while (await mirrorCount(gw, result) < n) {
    if (Date.now() > deadline) throw new Error(`mirror ${result} did not reach ${n} (is ${await mirrorCount(gw, result)})`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const realBackend = async (): Promise<Awaited<ReturnType<typeof startBackend>>> => await startBackend((req, res, seen) => {
  req.on('data', (chunk: Buffer) => { seen.bodyBytes += chunk.length })
  req.on('end', () => { res.writeHead(200, { 'x-backend': 'real' }).end(`real ${seen.bodyBytes}`) })
})

let routes = 0
async function start (yaml: string): Promise<TestGateway & { route: string }> {
  const name = `app${++routes}`
  return Object.assign(await startGateway(yaml.replace('{ name: app,', `{ name: ${name},`)), { route: name })
}

function route (real: string, mirror: string, options = ''): string {
  return `${BASE}upstreams:
  real: { targets: [{ url: "${real}" }] }
  shadow: { targets: [{ url: "${mirror}" }] }
routes:
  - { name: app, match: { path: / }, upstream: real, mirror: { upstream: shadow${options} } }
`
}

test('the copy carries method, path, headers and a body up to 64 KiB; its answer is dropped; larger bodies are not mirrored', async (t) => {
  const real = await realBackend()
  const arrived: SeenRequest[] = []
  const shadow = await startBackend((req, res, seen) => {
    req.on('data', (chunk: Buffer) => { seen.bodyBytes += chunk.length })
    req.on('end', () => { arrived.push(seen); res.writeHead(500, { 'x-backend': 'shadow' }).end('shadow says no') })
  })
  const gw = await start(route(real.url, shadow.url))
  t.after(async () => { await gw.close(); await real.close(); await shadow.close() })

  const body = Buffer.alloc(64 * 1024, 'm')
  const response = await request(`${gw.url}/orders?x=1`, { method: 'POST', body, headers: { 'x-request-id': 'mirror-1', 'content-type': 'text/plain' } })
  assert.equal(response.statusCode, 200)
  assert.equal(response.headers['x-backend'], 'real')
  assert.equal(await response.body.text(), `real ${body.length}`)
  await untilCount(gw, 'sent', 1)
  assert.equal(arrived.length, 1)
  assert.equal(arrived[0]?.method, 'POST')
  assert.equal(arrived[0]?.url, '/orders?x=1')
  assert.equal(arrived[0]?.bodyBytes, body.length)
  assert.equal(arrived[0]?.headers['x-request-id'], 'mirror-1')
  // The real request's headers, with the mirror target's own Host.
  assert.equal(arrived[0]?.headers.host, new URL(shadow.url).host)
  assert.equal(arrived[0]?.headers['x-forwarded-for'], '127.0.0.1')
  assert.equal(arrived[0]?.headers['content-type'], 'text/plain')

  const large = Buffer.alloc(64 * 1024 + 1, 'l')
  const big = await request(`${gw.url}/orders`, { method: 'POST', body: large })
  assert.equal(await big.body.text(), `real ${large.length}`)
  assert.equal(await mirrorCount(gw, 'skipped'), 1)
  assert.equal(arrived.length, 1, 'a body over 64 KiB is not mirrored')
})

test('with preserveHost the copy carries the client\'s Host, as the real request does', async (t) => {
  const real = await realBackend()
  const arrived: SeenRequest[] = []
  const shadow = await startBackend((req, res, seen) => { arrived.push(seen); res.end('shadow') })
  const gw = await start(route(real.url, shadow.url).replace('mirror: { upstream: shadow }', 'preserveHost: true, mirror: { upstream: shadow }'))
  t.after(async () => { await gw.close(); await real.close(); await shadow.close() })
  const response = await request(`${gw.url}/a`, { headers: { host: 'shop.example' } })
  assert.equal(await response.body.text(), 'real 0')
  await untilCount(gw, 'sent', 1)
  assert.equal(arrived[0]?.headers.host, 'shop.example')
})

test('the copy sends one Host, the target\'s own; a discovered target\'s is its name; repeated headers all go along', async (t) => {
  const real = await realBackend()
  const arrived: SeenRequest[] = []
  const shadow = await startBackend((req, res, seen) => { arrived.push(seen); res.end('shadow') })
  const dns = await startDnsServer()
  dns.zones.set('shadow.test', { A: ['127.0.0.1'] })
  const yaml = `${BASE}upstreams:
  real: { targets: [{ url: "${real.url}" }] }
  shadow: { targets: [{ url: "${shadow.url}" }] }
  found: { discovery: { dns: shadow.test, port: ${shadow.port}, resolver: "${dns.address}", refresh: 1s } }
routes:
  - { name: app, match: { path: /listed }, upstream: real, mirror: { upstream: shadow } }
  - { name: app-found, match: { path: /found }, upstream: real, mirror: { upstream: found } }
`
  const gw = await start(yaml)
  t.after(async () => { await gw.close(); await real.close(); await shadow.close(); await dns.close() })

  // Two Set-Cookie lines stay two (node gives them as an array; other repeats it joins).
  const headers = [['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-tag', 'one']]
  assert.equal(await (await request(`${gw.url}/listed`, { headers: headers.flat() })).body.text(), 'real 0')
  await untilCount(gw, 'sent', 1)
  const listed = arrived[0] as SeenRequest
  const hosts = (seen: SeenRequest): string[] => seen.rawHeaders.filter((_, i) => i % 2 === 0 && seen.rawHeaders[i]?.toLowerCase() === 'host')
  assert.deepEqual(hosts(listed), ['host'])
  assert.equal(listed.headers.host, new URL(shadow.url).host)
  assert.deepEqual(listed.headers['set-cookie'], ['a=1', 'b=2'])
  assert.equal(listed.headers['x-tag'], 'one')
  assert.equal(listed.headers['x-forwarded-for'], '127.0.0.1')

  // The discovered target's origin has the address; its Host is the name.
  const found = await request(`${gw.url}/found`)
  assert.equal(await found.body.text(), 'real 0')
  const deadline = Date.now() + 10_000
  while (arrived.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal(arrived.length, 2)
  assert.deepEqual(hosts(arrived[1] as SeenRequest), ['host'])
  assert.equal(arrived[1]?.headers.host, `shadow.test:${shadow.port}`)
})

test('a hanging mirror: real answers are not held back, copies past maxInFlight are skipped and counted', async (t) => {
  const real = await realBackend()
  const hung: Array<() => void> = []
  const shadow = await startBackend((_req, res) => { hung.push(() => { res.end() }) })
  const gw = await start(route(real.url, shadow.url, ', maxInFlight: 2'))
  // Closed while the copies still hang: closing cuts them rather than wait out their timeout.
  t.after(async () => { await gw.close(); for (const release of hung) release(); await real.close(); await shadow.close() })

  for (let i = 0; i < 5; i++) {
    const response = await request(`${gw.url}/x`)
    assert.equal(response.statusCode, 200)
    assert.equal(await response.body.text(), 'real 0')
  }
  // Every real answer is in while the two copies in flight still hang.
  while (hung.length < 2) await new Promise((resolve) => setImmediate(resolve))
  assert.equal(hung.length, 2)
  assert.equal(await mirrorCount(gw, 'skipped'), 3)
  assert.equal(await mirrorCount(gw, 'sent'), 0)
})

test('a dead mirror: every real answer is 200, every copy is counted failed', async (t) => {
  const real = await realBackend()
  const port = await freePort() // nothing listens here
  const gw = await start(route(real.url, `http://127.0.0.1:${port}`))
  t.after(async () => { await gw.close(); await real.close() })
  for (let i = 0; i < 5; i++) {
    const response = await request(`${gw.url}/x`, { method: 'PUT', body: 'abc' })
    assert.equal(response.statusCode, 200)
    assert.equal(await response.body.text(), 'real 3')
  }
  await untilCount(gw, 'failed', 5)
  assert.equal(real.seen.length, 5)
})

test('percent: about that share of requests is copied', async (t) => {
  const real = await realBackend()
  const shadow = await startBackend()
  const gw = await start(route(real.url, shadow.url, ', percent: 25'))
  t.after(async () => { await gw.close(); await real.close(); await shadow.close() })
  for (let i = 0; i < 400; i++) await (await request(`${gw.url}/x`)).body.dump()
  // Copies ~ Binomial(400, 0.25): mean 100, sd ≈ 8.7; 57…143 is ±5 sd.
  await untilCount(gw, 'sent', 57)
  const copies = shadow.seen.length
  assert.ok(copies >= 57 && copies <= 143, `${copies} copies of 400`)
})

/** A gateway whose route mirrors to an h2c server running `handler` (the real upstream: `real`). */
async function withH2cShadow (real: string, handler: (req: Http2ServerRequest, res: Http2ServerResponse) => void, routeOptions: string, mirrorOptions: string) {
  const shadow = createH2cServer(handler)
  shadow.listen(0, '127.0.0.1')
  await once(shadow, 'listening')
  const port = (shadow.address() as AddressInfo).port
  const gw = await start(`${BASE}upstreams:
  real: { targets: [{ url: "${real}" }] }
  shadow: { protocol: h2c, targets: [{ url: "http://127.0.0.1:${port}" }] }
routes:
  - { name: app, match: { path: / }, upstream: real${routeOptions}, mirror: { upstream: shadow${mirrorOptions} } }
`)
  return { gw, shadow }
}

test('an h2c mirror: each copy is answered, counted sent and leaves room for the next', async (t) => {
  const real = await realBackend()
  const copies: string[] = []
  const { gw, shadow } = await withH2cShadow(real.url, (req, res) => {
    copies.push(req.url)
    res.end('shadow')
  }, '', ', maxInFlight: 2')
  t.after(async () => { await gw.close(); await real.close(); shadow.close() })
  for (let i = 1; i <= 5; i++) {
    const response = await request(`${gw.url}/copy/${i}`)
    assert.equal(await response.body.text(), 'real 0')
    await untilCount(gw, 'sent', i) // a copy that never settled would hold its place: skipped after two
  }
  assert.deepEqual(copies, ['/copy/1', '/copy/2', '/copy/3', '/copy/4', '/copy/5'])
  assert.equal(await mirrorCount(gw, 'skipped'), 0)
})

test('an h2c mirror that sends its head and then hangs: each copy is cut after the route timeout and counted failed', async (t) => {
  const real = await realBackend()
  const { gw, shadow } = await withH2cShadow(real.url, (_req, res) => { res.writeHead(200).write('and nothing more') }, ', timeout: 300ms', ', maxInFlight: 1')
  t.after(async () => { await gw.close(); await real.close(); shadow.close() })
  for (let i = 1; i <= 3; i++) {
    const response = await request(`${gw.url}/hang/${i}`)
    assert.equal(await response.body.text(), 'real 0')
    await untilCount(gw, 'failed', i) // bounded by the timeout, so the one place in flight is free again
  }
  assert.equal(await mirrorCount(gw, 'skipped'), 0)
  assert.equal(await mirrorCount(gw, 'sent'), 0)
})
