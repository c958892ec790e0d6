// A chunked body whose framing breaks after a valid chunk. The first 64 KiB of a
// chunked body are read before anything goes upstream, so for a body that small the
// refusal (400) is the whole story: no upstream ever sees the request. Past 64 KiB the
// upstream has seen the head and the first 64 KiB, and its request is cut.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { after, before, test } from 'node:test'
import { HOLD_BYTES } from '../src/proxy/request-body.js'
import { startBackend, type Backend } from './helpers/backend.js'
import { Conversation, edgeYaml } from './helpers/edge-socket.js'
import { startGateway, type TestGateway } from './helpers/gateway.js'

let backend: Backend
let gw: TestGateway
/** How each upstream request ended: true when its whole body arrived. */
const complete: Array<Promise<boolean>> = []

before(async () => {
  backend = await startBackend((req, res, seen) => {
    complete.push(new Promise((resolve) => {
      req.on('data', (chunk: Buffer) => { seen.bodyBytes += chunk.length })
      req.on('error', () => undefined)
      req.on('end', () => {
        resolve(true)
        res.end('ok')
      })
      req.on('close', () => { resolve(false) })
    }))
  })
  gw = await startGateway(edgeYaml('bodyLimit: 1mb', `
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: /upload }, upstream: app }
`))
})

after(async () => {
  await gw.close()
  await backend.close()
})

function chunk (n: number): string {
  return `${n.toString(16)}\r\n${'a'.repeat(n)}\r\n`
}

test('a malformed chunk after a valid one, in a small body, is 400 and no upstream ever sees the request', async () => {
  const before = backend.seen.length
  const c = await Conversation.open(gw.port)
  // The gateway dispatches the request on its headers and opens an upstream connection.
  const connected = once(backend.server, 'connection')
  await c.write(`POST /upload HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(100)}`)
  const [upstreamSocket] = await connected as [import('node:net').Socket]
  await c.write('zz\r\nhello\r\n0\r\n\r\n')
  const res = await c.closed
  assert.equal(res.status, 400, res.raw)
  assert.match(res.body, /"code":"TURNPIKE_BAD_REQUEST"/)
  assert.match(res.head, /x-request-id: /i)
  if (!upstreamSocket.destroyed) await once(upstreamSocket, 'close')
  assert.equal(backend.seen.length, before, 'the upstream never got the request head')
})

test(`past ${HOLD_BYTES} bytes the body streams: a later framing error is 400 and the upstream request is cut`, async () => {
  const before = backend.seen.length
  const c = await Conversation.open(gw.port)
  const arrived = once(backend.server, 'request')
  await c.write(`POST /upload HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(HOLD_BYTES)}`)
  await arrived
  await c.write('zz\r\nhello\r\n0\r\n\r\n')
  const res = await c.closed
  assert.equal(res.status, 400, res.raw)
  assert.equal(backend.seen.length, before + 1)
  assert.equal(await complete.at(-1), false, 'the upstream request was cut, not completed')
})

test('a small chunked body sent in parts reaches the upstream whole, once', async () => {
  const before = backend.seen.length
  const c = await Conversation.open(gw.port)
  await c.write(`POST /upload HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunk(100)}`)
  await c.write(`${chunk(200)}0\r\n\r\n`)
  const res = await c.closed
  assert.equal(res.status, 200, res.raw)
  assert.equal(backend.seen.length, before + 1)
  assert.equal(backend.seen.at(-1)?.bodyBytes, 300)
})
