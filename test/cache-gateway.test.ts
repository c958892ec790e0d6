// The cache end to end through a real gateway with the in-process store, against a
// backend that counts what reaches it: a hit never does.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

let backend: Backend
let gw: TestGateway

/** The backend's answer is shaped by the query: cc (Cache-Control), vary, age, cookie, size (chunked bytes), sse. */
before(async () => {
  backend = await startBackend((req, res, seen) => {
    req.resume()
    const url = new URL(req.url ?? '/', 'http://backend')
    const q = url.searchParams
    const n = backend.seen.filter((s) => s.url === seen.url).length
    if (q.has('sse')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'max-age=60' })
      res.write(`data: ${n}\n\n`)
      setTimeout(() => { res.end('data: end\n\n') }, 20)
      return
    }
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-upstream': 'yes' }
    if (q.has('cc')) headers['cache-control'] = q.get('cc') as string
    if (q.has('vary')) headers.vary = q.get('vary') as string
    if (q.has('age')) headers.age = q.get('age') as string
    if (q.has('cookie')) headers['set-cookie'] = 'session=1'
    if (q.has('size')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-count': String(n) })
      let left = Number(q.get('size'))
      while (left > 0) {
        const chunk = Math.min(left, 16 * 1024)
        res.write(Buffer.alloc(chunk, 'x'))
        left -= chunk
      }
      res.end()
      return
    }
    const body = JSON.stringify({ n, method: req.method, lang: req.headers['accept-language'] ?? null })
    res.writeHead(Number(q.get('status') ?? 200), { ...headers, 'content-length': String(Buffer.byteLength(body)) })
    res.end(req.method === 'HEAD' ? undefined : body)
  })
  gw = await startGateway(`${BASE}
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - name: cached
    match: { path: /c }
    upstream: app
    cache: { ttl: 60s, maxBodySize: 64kb }
    headers:
      response: { set: { x-edited: "1" }, remove: [x-upstream] }
  - name: cached-auth
    match: { path: /a }
    upstream: app
    cache: { ttl: 60s, authenticated: true }
  - name: counted
    match: { path: /m }
    upstream: app
    cache: { ttl: 60s }
  - name: uncached
    match: { path: /p }
    upstream: app
`)
})

after(async () => {
  await gw.close()
  await backend.close()
})

async function call (path: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await request(gw.url + path, { method: method as 'GET', headers })
  const body = Buffer.from(await res.body.arrayBuffer())
  return { status: res.statusCode, headers: res.headers, body, json: () => JSON.parse(body.toString()) as { n: number, method: string, lang: string | null } }
}

function reached (path: string): number {
  return backend.seen.filter((s) => s.url === path).length
}

test('a second GET is a HIT served without reaching the upstream, with Age and the stored headers', async () => {
  const first = await call('/c/hit?x=1')
  assert.equal(first.status, 200)
  assert.equal(first.headers['x-cache'], 'MISS')
  const second = await call('/c/hit?x=1', { 'x-request-id': 'second-request' })
  assert.equal(second.status, 200)
  assert.equal(second.headers['x-cache'], 'HIT')
  assert.match(String(second.headers.age), /^\d+$/)
  assert.deepEqual(second.body, first.body)
  assert.equal(second.headers['content-type'], 'application/json')
  assert.equal(second.headers['x-edited'], '1', 'the route\'s response edits are in the stored answer')
  assert.equal(second.headers['x-upstream'], undefined)
  assert.equal(second.headers['x-request-id'], 'second-request', 'per-request headers are not stored')
  assert.equal(reached('/c/hit?x=1'), 1)
  const other = await call('/c/hit?x=2')
  assert.equal(other.headers['x-cache'], 'MISS', 'the query is part of the key')
  const otherHost = await call('/c/hit?x=1', { host: 'other.example' })
  assert.equal(otherHost.headers['x-cache'], 'MISS', 'the host is part of the key')
})

test('Age on a hit adds the upstream\'s Age; an answer already as old as its max-age is not stored', async () => {
  await call('/c/age?age=7&cc=max-age%3D60')
  const hit = await call('/c/age?age=7&cc=max-age%3D60')
  assert.equal(hit.headers['x-cache'], 'HIT')
  assert.ok(Number(hit.headers.age) >= 7)
  await call('/c/stale?age=5&cc=max-age%3D5')
  assert.equal((await call('/c/stale?age=5&cc=max-age%3D5')).headers['x-cache'], 'MISS')
  assert.equal(reached('/c/stale?age=5&cc=max-age%3D5'), 2)
})

test('no-store, private, no-cache answers, Set-Cookie and non-cacheable statuses are not cached', async () => {
  for (const path of ['/c/ns?cc=no-store', '/c/pr?cc=private%2C%20max-age%3D60', '/c/nc?cc=no-cache', '/c/ck?cookie=1', '/c/st?status=500', '/c/vs?vary=*']) {
    await call(path)
    const again = await call(path)
    assert.equal(again.headers['x-cache'], 'MISS', path)
    assert.equal(reached(path), 2, path)
  }
})

test('a request with Cache-Control no-cache bypasses the lookup and refreshes the entry; no-store stores nothing', async () => {
  const first = await call('/c/refresh')
  const bypassed = await call('/c/refresh', { 'cache-control': 'no-cache' })
  assert.equal(bypassed.headers['x-cache'], 'BYPASS')
  assert.equal(reached('/c/refresh'), 2)
  assert.equal(bypassed.json().n, first.json().n + 1)
  const hit = await call('/c/refresh')
  assert.equal(hit.headers['x-cache'], 'HIT')
  assert.equal(hit.json().n, bypassed.json().n, 'the refreshed answer was stored')
  assert.equal((await call('/c/refresh', { 'cache-control': 'max-age=0' })).headers['x-cache'], 'BYPASS')

  const nostore = await call('/c/nostore', { 'cache-control': 'no-store' })
  assert.equal(nostore.headers['x-cache'], 'BYPASS')
  assert.equal((await call('/c/nostore')).headers['x-cache'], 'MISS')
})

test('Vary: each value of the varied header is its own entry', async () => {
  const path = '/c/vary?vary=Accept-Language'
  const en = await call(path, { 'accept-language': 'en' })
  const fr = await call(path, { 'accept-language': 'fr' })
  assert.equal(en.headers['x-cache'], 'MISS')
  assert.equal(fr.headers['x-cache'], 'MISS')
  const en2 = await call(path, { 'accept-language': 'en' })
  const fr2 = await call(path, { 'accept-language': 'fr' })
  assert.equal(en2.headers['x-cache'], 'HIT')
  assert.equal(fr2.headers['x-cache'], 'HIT')
  assert.equal(en2.json().lang, 'en')
  assert.equal(fr2.json().lang, 'fr')
  assert.equal(en2.headers.vary, 'Accept-Language')
  assert.equal(reached(path), 2)
  assert.equal((await call(path)).headers['x-cache'], 'MISS', 'no header is a third variant')
})

test('a body over maxBodySize reaches the client whole and is not cached; one under it is', async () => {
  const big = 200 * 1024
  const first = await call(`/c/big?size=${big}`)
  assert.equal(first.body.length, big)
  assert.ok(first.body.every((b) => b === 0x78))
  const second = await call(`/c/big?size=${big}`)
  assert.equal(second.headers['x-cache'], 'MISS')
  assert.equal(second.body.length, big)
  assert.equal(reached(`/c/big?size=${big}`), 2)

  const small = 40 * 1024
  await call(`/c/small?size=${small}`)
  const hit = await call(`/c/small?size=${small}`)
  assert.equal(hit.headers['x-cache'], 'HIT')
  assert.equal(hit.body.length, small)
  assert.equal(hit.headers['content-length'], String(small))
})

test('an event stream passes through as it comes and is never cached', async () => {
  for (let i = 0; i < 2; i++) {
    const res = await call('/c/events?sse=1')
    assert.equal(res.headers['content-type'], 'text/event-stream')
    assert.equal(res.body.toString(), `data: ${i + 1}\n\ndata: end\n\n`)
    assert.equal(res.headers['x-cache'], 'MISS')
  }
})

test('authenticated requests bypass the cache unless the route allows it', async () => {
  await call('/c/auth')
  const withAuth = await call('/c/auth', { authorization: 'Bearer abc' })
  assert.equal(withAuth.headers['x-cache'], 'BYPASS')
  const withKey = await call('/c/auth', { 'x-api-key': 'k' })
  assert.equal(withKey.headers['x-cache'], 'BYPASS')
  assert.equal(reached('/c/auth'), 3)
  await call('/c/auth2', { authorization: 'Bearer abc' })
  assert.equal((await call('/c/auth2')).headers['x-cache'], 'MISS', 'an authenticated answer was not stored')

  await call('/a/auth', { authorization: 'Bearer abc' })
  const shared = await call('/a/auth', { authorization: 'Bearer abc' })
  assert.equal(shared.headers['x-cache'], 'HIT')
  assert.equal(reached('/a/auth'), 1)
})

test('HEAD is answered from a GET entry, without a body; a HEAD miss stores nothing', async () => {
  const get = await call('/c/head')
  const head = await call('/c/head', {}, 'HEAD')
  assert.equal(head.status, 200)
  assert.equal(head.headers['x-cache'], 'HIT')
  assert.equal(head.body.length, 0)
  assert.equal(head.headers['content-length'], String(get.body.length))
  assert.equal(reached('/c/head'), 1)

  assert.equal((await call('/c/head-first', {}, 'HEAD')).headers['x-cache'], 'MISS')
  assert.equal((await call('/c/head-first')).headers['x-cache'], 'MISS')
  assert.equal((await call('/c/head-first')).json().method, 'GET')
})

test('POST is never cached and gets no X-Cache; a successful one drops the entry for its URL', async () => {
  for (let i = 0; i < 2; i++) {
    const res = await call('/c/post', {}, 'POST')
    assert.equal(res.headers['x-cache'], undefined)
  }
  assert.equal(reached('/c/post'), 2)
  await call('/c/post')
  assert.equal((await call('/c/post')).headers['x-cache'], 'HIT')
  await call('/c/post', {}, 'POST')
  assert.equal((await call('/c/post')).headers['x-cache'], 'MISS')
})

test('a route without cache adds no X-Cache', async () => {
  await call('/p/x')
  const res = await call('/p/x')
  assert.equal(res.headers['x-cache'], undefined)
  assert.equal(reached('/p/x'), 2)
})

test('turnpike_cache_requests_total counts hits, misses and bypasses per route', async () => {
  await call('/m/1')
  await call('/m/1')
  await call('/m/1')
  await call('/m/1', { 'cache-control': 'no-cache' })
  await call('/m/1', {}, 'POST')
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text()
  assert.match(text, /turnpike_cache_requests_total\{route="counted",result="miss"\} 1\b/)
  assert.match(text, /turnpike_cache_requests_total\{route="counted",result="hit"\} 2\b/)
  assert.match(text, /turnpike_cache_requests_total\{route="counted",result="bypass"\} 1\b/)
})

test('with CORS and compression: the stored body is the upstream\'s, compressed per client on a hit, and Vary keeps both lists', async (t) => {
  const text = 'turnpike '.repeat(500)
  const upstream = await startBackend((req, res) => {
    req.resume()
    res.writeHead(200, { 'content-type': 'text/plain', vary: 'Accept-Language' })
    res.write(text) // chunked: no Content-Length
    res.end()
  })
  const edge = await startGateway(`${BASE}
security: { cors: { origins: ["https://a.example"] } }
upstreams:
  app: { targets: [{ url: ${upstream.url} }] }
routes:
  - name: both
    match: { path: /b }
    upstream: app
    cache: { ttl: 60s }
    compress: true
`)
  t.after(async () => {
    await edge.close()
    await upstream.close()
  })
  const ask = async (encoding: string | null) => {
    const headers: Record<string, string> = { origin: 'https://a.example', 'accept-language': 'en' }
    if (encoding !== null) headers['accept-encoding'] = encoding
    const res = await request(`${edge.url}/b/x`, { headers })
    const body = Buffer.from(await res.body.arrayBuffer())
    const plain = res.headers['content-encoding'] === 'gzip' ? gunzipSync(body).toString() : body.toString()
    return { headers: res.headers, plain }
  }
  const miss = await ask('gzip')
  assert.equal(miss.headers['x-cache'], 'MISS')
  assert.equal(miss.headers['content-encoding'], 'gzip')
  assert.equal(miss.plain, text)
  const zipped = await ask('gzip')
  assert.equal(zipped.headers['x-cache'], 'HIT')
  assert.equal(zipped.headers['content-encoding'], 'gzip')
  assert.equal(zipped.plain, text)
  assert.equal(zipped.headers['access-control-allow-origin'], 'https://a.example')
  const vary = String(zipped.headers.vary).toLowerCase()
  for (const name of ['origin', 'accept-language', 'accept-encoding']) assert.ok(vary.includes(name), vary)
  const identity = await ask(null)
  assert.equal(identity.headers['x-cache'], 'HIT')
  assert.equal(identity.headers['content-encoding'], undefined)
  assert.equal(identity.plain, text)
  assert.equal(upstream.seen.length, 1)
})
