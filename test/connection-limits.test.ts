// security.connections on the data plane: open connections per peer address (the TCP
// source) and in total. Each connection comes from its own 127.0.0.x source address.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'
import { eventually, Peer } from './helpers/peer.js'

let backend: Backend

const yaml = (security: string, server = ''): string => `${BASE.replace('port: 0 }', `port: 0${server} }`)}
security: ${security}
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`

before(async () => { backend = await startBackend() })
after(async () => { await backend.close() })

async function refusedCount (gw: TestGateway, reason: string): Promise<number> {
  const text = await (await request(`${gw.adminUrl}/metrics`)).body.text()
  const match = new RegExp(`turnpike_connections_refused_total\\{reason="${reason}"\\} (\\d+)`).exec(text)
  assert.ok(match !== null, `the ${reason} series is exported`)
  return Number(match[1])
}

/** `n` connections from `from`, each served once (so each is admitted and held open). */
async function hold (gw: TestGateway, from: string, n: number): Promise<Peer[]> {
  const peers: Peer[] = []
  for (let i = 0; i < n; i++) {
    const peer = await Peer.open(gw.port, from)
    assert.equal((await peer.get()).status, 200, `connection ${i + 1} from ${from} is served`)
    peers.push(peer)
  }
  return peers
}

test('perIp: the 6th connection from one address gets 429 and is closed, another address is served, a close lets the next in', async () => {
  const gw = await startGateway(yaml('{ connections: { perIp: 5 } }'))
  try {
    const held = await hold(gw, '127.0.0.5', 5)
    const seen = backend.seen.length
    const refusedBefore = await refusedCount(gw, 'per-ip')
    const sixth = await Peer.open(gw.port, '127.0.0.5')
    const res = await sixth.get()
    assert.equal(res.status, 429)
    assert.match(res.head, /\r\nretry-after: 1\r\n/i)
    assert.match(res.head, /\r\nconnection: close(\r\n|$)/i)
    assert.match(res.head, /\r\ncontent-type: application\/json/i)
    const body = JSON.parse(res.body) as Record<string, unknown>
    assert.equal(body.statusCode, 429)
    assert.equal(body.code, 'TURNPIKE_TOO_MANY_CONNECTIONS')
    await sixth.closed // the gateway hangs up
    assert.equal(backend.seen.length, seen, 'the refused connection reached no upstream')
    assert.equal(await refusedCount(gw, 'per-ip'), refusedBefore + 1)

    const other = await Peer.open(gw.port, '127.0.0.6')
    assert.equal((await other.get()).status, 200, 'another address is not limited by the first')
    for (const peer of held) assert.equal(peer.isClosed, false, 'open connections are never cut')
    assert.equal((await held[0]!.get()).status, 200, 'and keep being served')

    await held[0]!.close()
    await eventually(() => gw.gateway.connections.ledger.open === 5, 'the gateway saw the close')
    const next = await Peer.open(gw.port, '127.0.0.5')
    assert.equal((await next.get()).status, 200, 'a freed place lets the next connection in')
    for (const peer of [...held.slice(1), other, next]) await peer.close()
  } finally {
    await gw.close()
  }
})

test('total: a connection over the gateway-wide limit gets 503, from any address', async () => {
  const gw = await startGateway(yaml('{ connections: { perIp: 10, total: 3 } }'))
  try {
    const held = [...await hold(gw, '127.0.1.1', 2), ...await hold(gw, '127.0.1.2', 1)]
    const seen = backend.seen.length
    const before = { total: await refusedCount(gw, 'total'), perIp: await refusedCount(gw, 'per-ip') }
    const statsOf = async (): Promise<number> => ((await (await request(`${gw.adminUrl}/stats`)).body.json()) as { policies: { connectionsRefused: number } }).policies.connectionsRefused
    const statsBefore = await statsOf()
    const fourth = await Peer.open(gw.port, '127.0.1.3')
    const res = await fourth.get()
    assert.equal(res.status, 503)
    assert.match(res.head, /\r\nretry-after: 1\r\n/i)
    assert.match(res.head, /\r\nconnection: close(\r\n|$)/i)
    assert.equal((JSON.parse(res.body) as { code: string }).code, 'TURNPIKE_GATEWAY_FULL')
    await fourth.closed
    assert.equal(backend.seen.length, seen)
    assert.equal(await refusedCount(gw, 'total'), before.total + 1)
    assert.equal(await refusedCount(gw, 'per-ip'), before.perIp)
    assert.equal(await statsOf(), statsBefore + 1, 'admin /stats shows the refusal')
    for (const peer of held) await peer.close()
  } finally {
    await gw.close()
  }
})

test('exempt addresses are never limited; trusted proxies are not limited per address but count in the total', async () => {
  const gw = await startGateway(yaml(
    '{ ipFilter: { exempt: ["127.0.2.7"] }, connections: { perIp: 1, total: 7 } }',
    ', trustProxy: ["127.0.2.8"]'
  ))
  try {
    const exempt = await hold(gw, '127.0.2.7', 3)
    const trusted = await hold(gw, '127.0.2.8', 3)
    const plain = await hold(gw, '127.0.2.9', 1)
    assert.equal((await (await Peer.open(gw.port, '127.0.2.9')).get()).status, 429, 'an ordinary address still is')
    // 7 open: exempt ones count in the total, so a trusted proxy now meets it...
    assert.equal((await (await Peer.open(gw.port, '127.0.2.8')).get()).status, 503)
    // ...and an exempt address does not.
    exempt.push(await Peer.open(gw.port, '127.0.2.7'))
    assert.equal((await exempt[3]!.get()).status, 200)
    for (const peer of [...exempt, ...trusted, ...plain]) await peer.close()
  } finally {
    await gw.close()
  }
})

test('run-time exempt rules (admin API) lift the per-address limit for new connections', async () => {
  const gw = await startGateway(yaml('{ connections: { perIp: 1 } }'))
  try {
    const held = await hold(gw, '127.0.2.20', 1)
    assert.equal((await (await Peer.open(gw.port, '127.0.2.20')).get()).status, 429)
    const put = await request(`${gw.adminUrl}/ip-rules/exempt/127.0.2.20`, { method: 'PUT', headers: { authorization: 'Bearer test-token' } })
    assert.equal(put.statusCode < 300, true, `PUT /ip-rules/exempt answered ${put.statusCode}`)
    await put.body.dump()
    held.push(...await hold(gw, '127.0.2.20', 2))
    for (const peer of held) await peer.close()
  } finally {
    await gw.close()
  }
})

test('without security.connections nothing is counted or refused', async () => {
  const gw = await startGateway(yaml('{}'))
  try {
    const held = await hold(gw, '127.0.2.30', 8)
    assert.equal(gw.gateway.connections.ledger.open, 0)
    for (const peer of held) await peer.close()
  } finally {
    await gw.close()
  }
})
