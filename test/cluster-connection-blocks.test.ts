// security.connections with server.workers: 2 and limits far above a few connections
// (perIp: 60): each worker admits a busy address's connections from a block of places
// the primary lent it, and the limit is still one for the gateway: the 61st open
// connection from one address gets 429 whichever worker it lands on, a close lets
// exactly one more in, and /stats counts the open connections, not the places set aside.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startBackend, type Backend } from './helpers/backend.js'
import { startChildGateway, type ChildGateway } from './helpers/child.js'
import { adminJson } from './helpers/cluster.js'
import { Peer } from './helpers/peer.js'

let backend: Backend
let gw: ChildGateway
let port: number

before(async () => {
  backend = await startBackend((_req, res) => { res.end('ok') })
  gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0, workers: 2 }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: false }
security: { connections: { perIp: 60, total: 100000 } }
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

/** Opens `n` connections from `from`, 8 at a time, each sending one request; returns the admitted (held open) and the refused statuses. */
async function open (from: string, n: number): Promise<{ held: Peer[], refused: number[] }> {
  const held: Peer[] = []
  const refused: number[] = []
  let left = n
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (left-- > 0) {
      const peer = await Peer.open(port, from)
      const res = await peer.get()
      if (res.status === 200) held.push(peer)
      else {
        refused.push(res.status)
        await peer.closed
      }
    }
  }))
  return { held, refused }
}

async function counted (n: number): Promise<void> {
  const until = Date.now() + 10_000
  let now = (await adminJson<{ connections: { counted: number } }>(gw, '/stats')).connections.counted
  while (now !== n) {
    if (Date.now() > until) assert.fail(`/stats counts ${now} open connections, not ${n}`)
    await new Promise((resolve) => setImmediate(resolve))
    now = (await adminJson<{ connections: { counted: number } }>(gw, '/stats')).connections.counted
  }
}

test('perIp: 60 admitted from blocks over both workers, the rest refused with 429; a close lets exactly one more in', async () => {
  const first = await open('127.0.8.1', 80)
  assert.equal(first.held.length, 60)
  assert.deepEqual(first.refused, Array<number>(20).fill(429))
  await counted(60)

  for (const peer of first.held.splice(0, 5)) await peer.close()
  await counted(55)
  const second = await open('127.0.8.1', 10)
  assert.equal(second.held.length, 5, 'the five places freed, and no more')
  assert.equal(second.refused.length, 5)

  const other = await open('127.0.8.2', 3)
  assert.equal(other.held.length, 3, 'another address is served')
  for (const peer of [...first.held, ...second.held, ...other.held]) await peer.close()
  await counted(0)
})
