// Request smuggling shapes: every request whose body framing two HTTP parsers could
// read differently is 400 and nothing of it reaches an upstream. Each probe is a POST
// to /public (upstream A) with a second request, GET /admin/smuggled (upstream B),
// hidden where a parser that got the framing wrong would find it.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startBackend, type Backend } from './helpers/backend.js'
import { Conversation, edgeYaml } from './helpers/edge-socket.js'
import { startGateway, type TestGateway } from './helpers/gateway.js'
import { rawRequest, type RawResponse } from './helpers/raw.js'

const HIDDEN = 'GET /admin/smuggled HTTP/1.1\r\nHost: gw.test\r\n\r\n'

let a: Backend
let b: Backend
let gw: TestGateway

before(async () => {
  a = await startBackend()
  b = await startBackend()
  gw = await startGateway(edgeYaml('', `
upstreams:
  a: { targets: [{ url: ${a.url} }] }
  b: { targets: [{ url: ${b.url} }] }
routes:
  - { name: public, match: { path: /public }, upstream: a }
  - { name: admin, match: { path: /admin }, upstream: b }
`))
})

after(async () => {
  await gw.close()
  await a.close()
  await b.close()
})

/** Sends the raw bytes; returns the answer and how many requests each upstream got. */
async function probe (raw: string): Promise<{ res: RawResponse, toA: number, toB: number }> {
  const beforeA = a.seen.length
  const beforeB = b.seen.length
  const res = await rawRequest(gw.port, raw)
  return { res, toA: a.seen.length - beforeA, toB: b.seen.length - beforeB }
}

/** POST /public with these header lines and this body, the hidden request after it. */
async function refused (headerLines: string, body = `0\r\n\r\n${HIDDEN}`, version = '1.1'): Promise<void> {
  const { res, toA, toB } = await probe(`POST /public/x HTTP/${version}\r\nHost: gw.test\r\n${headerLines}\r\n${body}`)
  assert.equal(res.status, 400, res.raw)
  assert.equal(toA, 0, 'nothing reached upstream A')
  assert.equal(toB, 0, 'the hidden request never reached upstream B')
}

test('Content-Length with Transfer-Encoding: chunked (CL.TE) is 400', async () => {
  await refused('Content-Length: 4\r\nTransfer-Encoding: chunked\r\n')
})

test('Transfer-Encoding: chunked with Content-Length (TE.CL) is 400', async () => {
  await refused('Transfer-Encoding: chunked\r\nContent-Length: 48\r\n')
})

test('Content-Length with a tab-obfuscated Transfer-Encoding is 400', async () => {
  await refused('Content-Length: 4\r\nTransfer-Encoding:\tchunked\r\n')
})

test('Content-Length with Transfer-Encoding: xchunked is 400', async () => {
  await refused('Content-Length: 4\r\nTransfer-Encoding: xchunked\r\n')
})

test('Transfer-Encoding: xchunked is 400', async () => {
  await refused('Transfer-Encoding: xchunked\r\n')
})

test('Transfer-Encoding: chunked, identity (chunked not last) is 400', async () => {
  await refused('Transfer-Encoding: chunked, identity\r\n')
})

test('Transfer-Encoding: gzip, chunked is 400: the gateway would forward gzip bytes as plain ones', async () => {
  await refused('Transfer-Encoding: gzip, chunked\r\n')
})

test('two Transfer-Encoding headers are 400', async () => {
  await refused('Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n')
})

test('whitespace between the header name and the colon is 400', async () => {
  await refused('Transfer-Encoding : chunked\r\n')
})

test('a line-folded Transfer-Encoding is 400', async () => {
  await refused('Transfer-Encoding:\r\n chunked\r\n')
})

test('Transfer-Encoding with a vertical tab before chunked is 400', async () => {
  await refused('Transfer-Encoding: \x0bchunked\r\n')
})

test('Transfer-Encoding in an HTTP/1.0 request is 400', async () => {
  await refused('Transfer-Encoding: chunked\r\n', `0\r\n\r\n${HIDDEN}`, '1.0')
})

test('two equal Content-Length headers are 400', async () => {
  await refused('Content-Length: 5\r\nContent-Length: 5\r\n', `hello${HIDDEN}`)
})

test('two different Content-Length headers are 400', async () => {
  await refused('Content-Length: 5\r\nContent-Length: 0\r\n', `hello${HIDDEN}`)
})

test('a Content-Length list (5, 5) is 400', async () => {
  await refused('Content-Length: 5, 5\r\n', `hello${HIDDEN}`)
})

test('a signed Content-Length (+5) is 400', async () => {
  await refused('Content-Length: +5\r\n', `hello${HIDDEN}`)
})

test('a chunk-size line ended by a bare LF is 400', async () => {
  await refused('Transfer-Encoding: chunked\r\n', `5\nhello\r\n0\r\n\r\n${HIDDEN}`)
})

test('a chunk size that overflows is 400', async () => {
  await refused('Transfer-Encoding: chunked\r\n', `fffffffffffffffff\r\nhello\r\n0\r\n\r\n${HIDDEN}`)
})

/** A chunked body whose one chunk is the hidden request: a parser that reads it as chunked sees body. */
const WRAPPED = `${HIDDEN.length.toString(16)}\r\n${HIDDEN}\r\n0\r\n\r\n`

for (const [name, te] of [['leading spaces', '   chunked'], ['a leading tab', '\tchunked'], ['a trailing space', 'chunked ']]) {
  test(`Transfer-Encoding with ${name} (valid OWS) is read as chunked: a request inside a chunk stays body`, async () => {
    const { res, toA, toB } = await probe(`POST /public/x HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding:${te}\r\nConnection: close\r\n\r\n${WRAPPED}`)
    assert.equal(res.status, 200, res.raw)
    assert.equal(toA, 1)
    assert.equal(a.seen.at(-1)?.bodyBytes, HIDDEN.length, 'the whole chunk arrived as body')
    assert.equal(toB, 0)
  })
}

test('Transfer-Encoding: chunked with a trailing tab is either refused or read as chunked, never split', async () => {
  // llhttp dispatches this request and only then rejects its framing; the gateway
  // must answer 400 before any upstream sees it (nginx would read it as chunked).
  const { res, toA, toB } = await probe(`POST /public/x HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\t\r\nConnection: close\r\n\r\n${WRAPPED}`)
  assert.ok(res.status === 400 || res.status === 200, res.raw)
  if (res.status === 400) assert.equal(toA, 0)
  else assert.equal(a.seen.at(-1)?.bodyBytes, HIDDEN.length)
  assert.equal(toB, 0)
})

test('a malformed chunk that arrives with the headers is 400 in the JSON shape and no upstream sees the request', async () => {
  const { res, toA, toB } = await probe(`POST /public/x HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n${HIDDEN}`)
  assert.equal(res.status, 400, res.raw)
  assert.match(res.body, /"code":"TURNPIKE_BAD_REQUEST"/)
  assert.equal(toA, 0)
  assert.equal(toB, 0)
})

test('a request pipelined behind a refused one never reaches an upstream', async () => {
  const { res, toA, toB } = await probe(`GET /public/%2fx HTTP/1.1\r\nHost: gw.test\r\n\r\n${HIDDEN}`)
  assert.equal(res.status, 400)
  assert.equal((res.raw.match(/HTTP\/1\.1 /g) ?? []).length, 1, 'one answer, then the connection closes')
  assert.equal(toA, 0)
  assert.equal(toB, 0)
})

test('bytes after a Connection: close request are never a request, and do not cost the first its answer', async () => {
  const { res, toA, toB } = await probe(`POST /public/x HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello${HIDDEN}`)
  assert.equal(res.status, 200, res.raw)
  assert.equal((res.raw.match(/HTTP\/1\.1 /g) ?? []).length, 1)
  assert.equal(toA, 1)
  assert.equal(a.seen.at(-1)?.bodyBytes, 5)
  assert.equal(toB, 0)
})

test('bytes after an HTTP/1.0 request (no keep-alive) are never a request', async () => {
  const { res, toA, toB } = await probe(`GET /public/x HTTP/1.0\r\n\r\n${HIDDEN}`)
  assert.equal(res.status, 200, res.raw)
  assert.equal(toA, 1)
  assert.equal(toB, 0)
})

test('a request queued behind a refused one does not keep its generation busy', async () => {
  // Node never closes the ServerResponse of a request queued behind one that ended the
  // connection; a generation counting it would never go idle (no drain, no dispose).
  const generation = gw.gateway.generation
  const c = await Conversation.open(gw.port)
  await c.write(`GET /public/%2fx HTTP/1.1\r\nHost: gw.test\r\n\r\n${HIDDEN}`)
  await c.closed
  let timer: NodeJS.Timeout | undefined
  const idle = await Promise.race([
    generation.idle().then(() => true),
    new Promise<boolean>((resolve) => { timer = setTimeout(() => { resolve(false) }, 5000) })
  ])
  clearTimeout(timer)
  assert.ok(idle, `generation still has ${generation.active} request(s) in flight`)
})
