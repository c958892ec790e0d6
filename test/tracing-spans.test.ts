// OpenTelemetry spans against a real OTLP/HTTP receiver: one SERVER span per request
// (continuing an incoming traceparent), one CLIENT span per upstream attempt, the
// attempt's context in the traceparent the backend gets. Spans are flushed by the
// gateway's shutdown, so each test reads them after closing its gateway.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test, type TestContext } from 'node:test'
import { request } from 'undici'
import WebSocket, { WebSocketServer } from 'ws'
import { startBackend, type Backend, type Handler } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'
import { CLIENT, SERVER, STATUS_ERROR, startReceiver, type ReceivedSpan, type Receiver } from './helpers/otlp-receiver.js'

const TIMEOUT = { timeout: 20_000 }
const INCOMING_TRACE = '0af7651916cd43dd8448eb211c80319c'
const INCOMING_SPAN = 'b7ad6b7169203331'
const DEAD = 'http://127.0.0.1:1'

interface Setup { gw: TestGateway, receiver: Receiver, backend: Backend }

async function setup (t: TestContext, upstreams: (backend: Backend) => string, routes: string, handler?: Handler): Promise<Setup> {
  const receiver = await startReceiver()
  const backend = await startBackend(handler)
  const gw = await startGateway(`${BASE}tracing: { enabled: true, endpoint: "${receiver.url}" }
upstreams:
${upstreams(backend)}
routes:
${routes}
`)
  t.after(async () => { await gw.close(); await backend.close(); await receiver.close() })
  return { gw, receiver, backend }
}

async function get (gw: TestGateway, path: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await request(`${gw.url}${path}`, { headers })
  await response.body.dump()
  return response.statusCode
}

const servers = (spans: readonly ReceivedSpan[]): ReceivedSpan[] => spans.filter((s) => s.kind === SERVER)
const clients = (spans: readonly ReceivedSpan[]): ReceivedSpan[] => spans.filter((s) => s.kind === CLIENT)

function only<T> (list: readonly T[], what: string): T {
  assert.equal(list.length, 1, `one ${what}, got ${JSON.stringify(list)}`)
  return list[0] as T
}

const USERS = (b: Backend): string => `  users: { targets: [{ url: "${b.url}" }] }`
const USERS_ROUTE = '  - { name: users, match: { path: /users }, upstream: users }'

test('a request gives one server span with its route and one client span per attempt, its child', TIMEOUT, async (t) => {
  const { gw, receiver, backend } = await setup(t, USERS, USERS_ROUTE)
  assert.equal(await get(gw, '/users/42'), 200)
  await gw.close() // flushes
  const server = only(servers(receiver.spans), 'server span')
  assert.equal(server.name, 'GET users')
  assert.equal(server.service, 'turnpike')
  assert.equal(server.parentSpanId, '', 'a new trace: no parent')
  assert.deepEqual({ ...server.attributes, 'client.address': undefined }, {
    'http.request.method': 'GET',
    'url.path': '/users/42',
    'http.route': 'users',
    'turnpike.route': 'users',
    'http.response.status_code': 200,
    'client.address': undefined
  })
  assert.match(String(server.attributes['client.address']), /127\.0\.0\.1$/)
  assert.notEqual(server.statusCode, STATUS_ERROR)

  const client = only(clients(receiver.spans), 'client span')
  assert.equal(client.traceId, server.traceId)
  assert.equal(client.parentSpanId, server.spanId)
  assert.equal(client.attributes['server.address'], '127.0.0.1')
  assert.equal(client.attributes['server.port'], backend.port)
  assert.equal(client.attributes['http.response.status_code'], 200)
  assert.equal(client.attributes['turnpike.attempt'], 1)
  assert.equal(client.attributes['turnpike.retry'], false)

  const seen = only(backend.seen, 'backend request')
  assert.equal(seen.headers.traceparent, `00-${server.traceId}-${client.spanId}-01`)
})

test('an incoming traceparent is continued, and its tracestate goes upstream', TIMEOUT, async (t) => {
  const { gw, receiver, backend } = await setup(t, USERS, USERS_ROUTE)
  const incoming = `00-${INCOMING_TRACE}-${INCOMING_SPAN}-01`
  assert.equal(await get(gw, '/users', { traceparent: incoming, tracestate: 'congo=t61rcWkgMzE' }), 200)
  await gw.close()
  const server = only(servers(receiver.spans), 'server span')
  assert.equal(server.traceId, INCOMING_TRACE)
  assert.equal(server.parentSpanId, INCOMING_SPAN)
  const client = only(clients(receiver.spans), 'client span')
  const seen = only(backend.seen, 'backend request')
  assert.equal(seen.headers.traceparent, `00-${INCOMING_TRACE}-${client.spanId}-01`, 'the backend\'s parent is the client span, not the caller')
  assert.equal(seen.headers.tracestate, 'congo=t61rcWkgMzE')
})

test('a malformed traceparent starts a new trace and is not passed on', TIMEOUT, async (t) => {
  const { gw, receiver, backend } = await setup(t, USERS, USERS_ROUTE)
  assert.equal(await get(gw, '/users', { traceparent: 'not-a-trace', tracestate: 'x=1' }), 200)
  await gw.close()
  const server = only(servers(receiver.spans), 'server span')
  assert.equal(server.parentSpanId, '')
  const client = only(clients(receiver.spans), 'client span')
  const seen = only(backend.seen, 'backend request')
  assert.equal(seen.headers.traceparent, `00-${server.traceId}-${client.spanId}-01`)
  assert.equal(seen.headers.tracestate, undefined)
})

test('with retry and a failing first target, each attempt is its own client span', TIMEOUT, async (t) => {
  const { gw, receiver, backend } = await setup(t,
    (b) => `  pair: { balancer: round-robin, targets: [{ url: "${DEAD}" }, { url: "${b.url}" }] }`,
    '  - { name: pair, match: { path: / }, upstream: pair, retry: { attempts: 2, backoff: 1ms, maxBackoff: 2ms, on: [connect-failure] } }')
  // Round-robin alternates, so one of two requests meets the dead target first.
  assert.equal(await get(gw, '/a'), 200)
  assert.equal(await get(gw, '/b'), 200)
  await gw.close()
  const retried = servers(receiver.spans)
    .map((server) => clients(receiver.spans).filter((c) => c.parentSpanId === server.spanId))
    .find((attempts) => attempts.length === 2)
  assert.ok(retried !== undefined, `a request with two attempts: ${JSON.stringify(receiver.spans)}`)
  const [first, second] = [...retried].sort((a, b) => Number(a.attributes['turnpike.attempt']) - Number(b.attributes['turnpike.attempt']))
  assert.equal(first?.attributes['server.port'], 1)
  assert.equal(first?.statusCode, STATUS_ERROR)
  assert.equal(first?.attributes['error.type'], 'ECONNREFUSED')
  assert.equal(first?.attributes['turnpike.retry'], false)
  assert.equal(second?.attributes['server.port'], backend.port)
  assert.equal(second?.attributes['http.response.status_code'], 200)
  assert.equal(second?.attributes['turnpike.retry'], true)
  assert.equal(second?.attributes['http.request.resend_count'], 1)
  // The backend saw the second attempt's context, not the first's.
  const parents = backend.seen.map((s) => String(s.headers.traceparent).split('-')[2])
  assert.ok(parents.includes(second?.spanId), 'the backend got the retry\'s span as its parent')
})

test('a 5xx is an error on the server span; an unreachable target on the client span', TIMEOUT, async (t) => {
  const { gw, receiver } = await setup(t, () => `  dead: { targets: [{ url: "${DEAD}" }] }`,
    '  - { name: dead, match: { path: / }, upstream: dead }')
  assert.equal(await get(gw, '/x'), 502)
  await gw.close()
  const server = only(servers(receiver.spans), 'server span')
  assert.equal(server.statusCode, STATUS_ERROR)
  assert.equal(server.attributes['http.response.status_code'], 502)
  const client = only(clients(receiver.spans), 'client span')
  assert.equal(client.statusCode, STATUS_ERROR)
  assert.equal(client.attributes['error.type'], 'ECONNREFUSED')
})

test('a request that matches no route gets a server span named by its method alone', TIMEOUT, async (t) => {
  const { gw, receiver } = await setup(t, USERS, USERS_ROUTE)
  assert.equal(await get(gw, '/elsewhere'), 404)
  await gw.close()
  const server = only(servers(receiver.spans), 'server span')
  assert.equal(server.name, 'GET')
  assert.equal(server.attributes['http.route'], undefined)
  assert.equal(server.attributes['http.response.status_code'], 404)
  assert.notEqual(server.statusCode, STATUS_ERROR)
  assert.deepEqual(clients(receiver.spans), [])
})

test('a WebSocket handshake gets a server span ending at the 101, and a client span', TIMEOUT, async (t) => {
  const { gw, receiver, backend } = await setup(t, USERS, '  - { name: chat, match: { path: /chat }, upstream: users, websocket: true }')
  const wss = new WebSocketServer({ server: backend.server })
  const upgraded = once(wss, 'connection')
  t.after(() => { wss.close() })
  const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/chat`)
  await once(ws, 'open')
  const [, req] = await upgraded as [WebSocket, { headers: Record<string, string | undefined> }]
  ws.terminate()
  for (const peer of wss.clients) peer.terminate()
  await gw.close()
  const server = only(servers(receiver.spans), 'server span')
  assert.equal(server.name, 'GET chat')
  assert.equal(server.attributes['http.response.status_code'], 101)
  const client = only(clients(receiver.spans), 'client span')
  assert.equal(client.parentSpanId, server.spanId)
  assert.equal(client.attributes['http.response.status_code'], 101)
  assert.equal(req.headers.traceparent, `00-${server.traceId}-${client.spanId}-01`)
})
