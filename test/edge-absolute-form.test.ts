// Absolute-form request targets (`GET http://host/path`) never choose the upstream:
// the route does. The authority in these probes is upstream B's own address, so a
// proxy that followed it would show up in B's log; the only route goes to A.
// CONNECT (authority-form) is refused, never tunnelled.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startBackend, type Backend } from './helpers/backend.js'
import { edgeYaml } from './helpers/edge-socket.js'
import { startGateway, type TestGateway } from './helpers/gateway.js'
import { rawRequest, type RawResponse } from './helpers/raw.js'

let a: Backend
let b: Backend
let gw: TestGateway

before(async () => {
  a = await startBackend()
  b = await startBackend()
  gw = await startGateway(edgeYaml('', `
upstreams:
  a: { targets: [{ url: ${a.url} }] }
routes:
  - { name: all, match: { path: / }, upstream: a }
`))
})

after(async () => {
  await gw.close()
  await a.close()
  await b.close()
})

async function send (requestLine: string): Promise<{ res: RawResponse, toA: Array<{ url: string, host?: string }>, toB: number }> {
  const beforeA = a.seen.length
  const beforeB = b.seen.length
  const res = await rawRequest(gw.port, `${requestLine}\r\nHost: gw.test\r\nConnection: close\r\n\r\n`)
  return {
    res,
    toA: a.seen.slice(beforeA).map((s) => ({ url: s.url, host: s.headers.host })),
    toB: b.seen.length - beforeB
  }
}

test('GET http://evil.example/x goes to the configured upstream with path /x', async () => {
  const { res, toA, toB } = await send('GET http://evil.example/x HTTP/1.1')
  assert.equal(res.status, 200)
  assert.deepEqual(toA, [{ url: '/x', host: new URL(a.url).host }])
  assert.equal(toB, 0)
})

test('an absolute-form target naming another upstream\'s address still goes to the route\'s upstream', async () => {
  const { res, toA, toB } = await send(`GET ${b.url}/x?q=1 HTTP/1.1`)
  assert.equal(res.status, 200)
  assert.deepEqual(toA, [{ url: '/x?q=1', host: new URL(a.url).host }])
  assert.equal(toB, 0, 'the authority in the request line must never select the upstream')
})

test('an absolute-form target with no path is /', async () => {
  const { res, toA } = await send('GET http://evil.example HTTP/1.1')
  assert.equal(res.status, 200)
  assert.equal(toA[0]?.url, '/')
})

test('the path of an absolute-form target is normalized like any other', async () => {
  const { res, toA } = await send('GET http://evil.example/a/../b HTTP/1.1')
  assert.equal(res.status, 200)
  assert.equal(toA[0]?.url, '/b')
})

test('an absolute-form target with an encoded slash is 400, nothing forwarded', async () => {
  const { res, toA, toB } = await send('GET http://evil.example/a%2f..%2fb HTTP/1.1')
  assert.equal(res.status, 400)
  assert.equal(toA.length + toB, 0)
})

test('an absolute-form target with userinfo is 400 (RFC 9110 §4.2.4)', async () => {
  const { res, toA, toB } = await send(`GET http://user@${new URL(b.url).host}/x HTTP/1.1`)
  assert.equal(res.status, 400)
  assert.equal(toA.length + toB, 0)
})

test('a scheme other than http(s) is 400', async () => {
  const { res, toA, toB } = await send('GET ftp://evil.example/x HTTP/1.1')
  assert.equal(res.status, 400)
  assert.equal(toA.length + toB, 0)
})

test('CONNECT is 405 in the JSON shape and no tunnel is opened', async () => {
  const bHost = new URL(b.url).host
  const beforeB = b.seen.length
  let tunnelled = false
  const onConnection = (): void => { tunnelled = true }
  b.server.on('connection', onConnection)
  const res = await rawRequest(gw.port, `CONNECT ${bHost} HTTP/1.1\r\nHost: ${bHost}\r\n\r\n`)
  b.server.off('connection', onConnection)
  assert.equal(res.status, 405)
  assert.match(res.head, /^allow: /im)
  assert.match(res.body, /"code":"TURNPIKE_METHOD_NOT_ALLOWED"/)
  assert.equal(tunnelled, false)
  assert.equal(b.seen.length, beforeB)
})
