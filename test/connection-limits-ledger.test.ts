// The connection count itself: per-address entries go with their last connection (no
// memory left behind by many addresses), counts survive a reload that changes the
// limits, and the gate works as well with a ledger that answers later (as one owned by
// the primary process with `server.workers` will).
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import pino from 'pino'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway } from './helpers/gateway.js'
import { eventually, Peer } from './helpers/peer.js'
import { ConnectionGate } from '../src/edge/connection-gate.js'
import { LocalConnectionLedger, type Admission, type ConnectionLedger } from '../src/edge/connection-ledger.js'
import { IpRuleStore } from '../src/ip-rules/store.js'
import type { GatewayConfig } from '../src/config/schema.js'
import { GatewayMetrics } from '../src/metrics.js'

let backend: Backend

const yaml = (connections: string): string => `${BASE}security: { connections: ${connections} }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`

before(async () => { backend = await startBackend() })
after(async () => { await backend.close() })

test('10,000 connections opened and closed from 2,500 addresses leave no per-address entry behind', async () => {
  const gw = await startGateway(yaml('{ perIp: 50, total: 100000 }'))
  const ledger = gw.gateway.connections.ledger
  const BATCH = 200
  try {
    for (let round = 0; round < 10_000 / BATCH; round++) {
      const sockets = await Promise.all(Array.from({ length: BATCH }, async (_, i) => {
        const n = (round * BATCH + i) % 2500
        const socket = net.connect({ host: '127.0.0.1', port: gw.port, localAddress: `127.0.${10 + Math.floor(n / 250)}.${1 + (n % 250)}` })
        socket.on('error', () => undefined)
        await new Promise((resolve) => socket.once('connect', resolve))
        return socket
      }))
      await eventually(() => ledger.open === BATCH, `round ${round}: the gateway counted ${BATCH} open connections (has ${ledger.open})`)
      assert.equal(ledger.addresses, BATCH, 'one entry per open address')
      await Promise.all(sockets.map(async (s) => { s.destroy(); await new Promise((resolve) => s.once('close', resolve)) }))
    }
    await eventually(() => ledger.open === 0 && ledger.addresses === 0, `all released (open ${ledger.open}, addresses ${ledger.addresses})`)
  } finally {
    await gw.close()
  }
})

test('a reload changes the limits for new connections; the connections already open still count', async () => {
  const gw = await startGateway(yaml('{ perIp: 1 }'))
  try {
    const first = await Peer.open(gw.port, '127.0.4.1')
    assert.equal((await first.get()).status, 200)
    assert.equal((await (await Peer.open(gw.port, '127.0.4.1')).get()).status, 429)

    await writeFile(gw.file, yaml('{ perIp: 3 }'))
    assert.equal((await gw.gateway.reload('test')).result, 'success')
    const more = [await Peer.open(gw.port, '127.0.4.1'), await Peer.open(gw.port, '127.0.4.1')]
    for (const peer of more) assert.equal((await peer.get()).status, 200, 'the new limit admits two more')
    assert.equal((await (await Peer.open(gw.port, '127.0.4.1')).get()).status, 429, 'the fourth: the first still counts')
    assert.equal(first.isClosed, false)

    await writeFile(gw.file, yaml('{ perIp: 1 }'))
    assert.equal((await gw.gateway.reload('test')).result, 'success')
    assert.equal((await first.get()).status, 200, 'a lower limit cuts no open connection')
    for (const peer of [first, ...more]) await peer.close()
    await eventually(() => gw.gateway.connections.ledger.open === 0, 'released after the reloads too')
  } finally {
    await gw.close()
  }
})

/** The in-process ledger behind a turn of the event loop, as an answer over IPC would come. */
class LaterLedger implements ConnectionLedger {
  private readonly inner = new LocalConnectionLedger()
  get open (): number { return this.inner.open }
  get addresses (): number { return this.inner.addresses }
  async admit (address: string | null, perIp: number, total: number): Promise<Admission> {
    await new Promise((resolve) => setImmediate(resolve))
    return this.inner.admit(address, perIp, total)
  }

  release (address: string | null): void { this.inner.release(address) }
}

test('a ledger that answers later: the client\'s first bytes wait for the verdict, then are served or refused', async () => {
  const config = { server: { trustProxy: false }, security: { connections: { perIp: 1 } } } as unknown as Readonly<GatewayConfig>
  const ledger = new LaterLedger()
  const gate = new ConnectionGate(() => config, new IpRuleStore(), pino({ level: 'silent' }), new GatewayMetrics(), ledger)
  const server = createServer((req, res) => { res.end(`served ${req.url ?? ''}`) })
  gate.guard(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  try {
    const first = await Peer.open(port, '127.0.5.1')
    const res = await first.get('/a') // written before the verdict can have come
    assert.equal(res.status, 200)
    assert.equal(res.body, 'served /a')
    const second = await Peer.open(port, '127.0.5.1')
    assert.equal((await second.get()).status, 429)
    await second.closed
    await first.close()
    await eventually(() => ledger.open === 0, 'released')
    const third = await Peer.open(port, '127.0.5.1')
    assert.equal((await third.get('/c')).status, 200)
    await third.close()
    await eventually(() => ledger.addresses === 0, 'no entry left')
  } finally {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => { resolve() }))
  }
})
