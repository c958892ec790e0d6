// security.connections with server.workers: 2 as `turnpike start` runs it: each limit is
// one for the whole gateway (the primary keeps the count), whichever worker each
// connection lands on; a worker killed with SIGKILL gives back the places it held.
// Each connection comes from a chosen 127.0.x.y source address and is held open.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startBackend, type Backend } from './helpers/backend.js'
import { startChildGateway, type ChildGateway, type LogLine } from './helpers/child.js'
import { adminJson, childPids, linesOf, waitForLines } from './helpers/cluster.js'
import { Peer } from './helpers/peer.js'

let backend: Backend
let gw: ChildGateway
let port: number
let next = 0

interface Stats {
  connections: { counted: number }
  policies: { connectionsRefused: number }
}

before(async () => {
  backend = await startBackend((_req, res) => { res.end('ok') })
  gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0, workers: 2 }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: true }
security: { connections: { perIp: 5, total: 8 } }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  port = Number(new URL(gw.url).port)
})

after(async () => {
  await gw.close()
  await backend.close()
})

/** The gateway's count (the primary's), once it is `n`: a close reaches it asynchronously. */
async function counted (n: number): Promise<void> {
  const until = Date.now() + 10_000
  let stats = await adminJson<Stats>(gw, '/stats')
  while (stats.connections.counted !== n) {
    if (Date.now() > until) assert.fail(`the gateway counts ${stats.connections.counted} open connections, not ${n}`)
    await new Promise((resolve) => setImmediate(resolve))
    stats = await adminJson<Stats>(gw, '/stats')
  }
}

interface Held { peer: Peer, pid: number }

/** `n` connections from `from`, each served once (so admitted and held), with the worker that served each. */
async function hold (from: string, n: number): Promise<Held[]> {
  const held: Held[] = []
  for (let i = 0; i < n; i++) {
    const peer = await Peer.open(port, from)
    const path = `/c${++next}`
    assert.equal((await peer.get(path)).status, 200, `connection ${i + 1} from ${from} is served`)
    const mine = (l: LogLine): boolean => l.msg === 'access' && l.path === path
    await waitForLines(gw, mine, 1)
    held.push({ peer, pid: linesOf(gw, mine)[0]!.pid as number })
  }
  return held
}

async function closeAll (held: readonly Held[]): Promise<void> {
  for (const { peer } of held) await peer.close()
}

test('perIp: 5 connections over both workers, the 6th from that address gets 429 while another address is served; a close lets the next in', async () => {
  const held = await hold('127.0.7.1', 5)
  assert.deepEqual([...new Set(held.map((h) => h.pid))].sort(), childPids(gw.proc.pid as number), 'both workers hold some')
  await counted(5)
  const refusedBefore = (await adminJson<Stats>(gw, '/stats')).policies.connectionsRefused
  const seen = backend.seen.length

  const sixth = await Peer.open(port, '127.0.7.1')
  const res = await sixth.get()
  assert.equal(res.status, 429)
  assert.equal((JSON.parse(res.body) as { code: string }).code, 'TURNPIKE_TOO_MANY_CONNECTIONS')
  await sixth.closed
  assert.equal(backend.seen.length, seen, 'the refused connection reached no upstream')
  assert.equal((await adminJson<Stats>(gw, '/stats')).policies.connectionsRefused, refusedBefore + 1, '/stats counts the refusal')

  const other = await hold('127.0.7.2', 1)
  for (const { peer } of held) assert.equal(peer.isClosed, false, 'open connections are never cut')

  await held[0]!.peer.close()
  await counted(5)
  held.splice(0, 1, ...await hold('127.0.7.1', 1))
  const again = await Peer.open(port, '127.0.7.1')
  assert.equal((await again.get()).status, 429, 'and the place is taken again')
  await again.closed
  await closeAll([...held, ...other])
  await counted(0)
})

test('total: the 9th connection to the gateway gets 503, from any address, whichever worker it lands on', async () => {
  const held = [...await hold('127.0.7.3', 4), ...await hold('127.0.7.4', 4)]
  assert.equal(new Set(held.map((h) => h.pid)).size, 2, 'both workers hold some')
  await counted(8)
  for (const from of ['127.0.7.5', '127.0.7.6']) {
    const ninth = await Peer.open(port, from)
    const res = await ninth.get()
    assert.equal(res.status, 503)
    assert.equal((JSON.parse(res.body) as { code: string }).code, 'TURNPIKE_GATEWAY_FULL')
    await ninth.closed
  }
  await held[7]!.peer.close()
  await counted(7)
  held.splice(7, 1, ...await hold('127.0.7.5', 1))
  await closeAll(held)
  await counted(0)
})

test('a worker killed with SIGKILL gives back the places its connections held', async () => {
  const held = await hold('127.0.7.7', 5)
  await counted(5)
  const victim = held[0]!.pid
  const lost = held.filter((h) => h.pid === victim)
  const kept = held.filter((h) => h.pid !== victim)
  assert.ok(kept.length > 0, 'the other worker holds some too')
  process.kill(victim, 'SIGKILL')
  for (const { peer } of lost) await peer.closed
  await gw.waitForLog((l) => l.msg.includes('exited (signal SIGKILL)') && l.workerPid === victim)
  await counted(kept.length)

  const refill = await hold('127.0.7.7', lost.length)
  const sixth = await Peer.open(port, '127.0.7.7')
  assert.equal((await sixth.get()).status, 429, 'exactly the killed worker\'s places came back')
  await sixth.closed
  await closeAll([...kept, ...refill])
  await counted(0)
})
