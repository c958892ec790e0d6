// Balancers over real backends through a real gateway: weighted-round-robin's counts at
// the backends follow the weights, and the hash balancers with `hashOn: header:x-user`
// send every request of one user to one backend.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

const NAMES = ['a', 'b', 'c']
let backends: Backend[]
let gw: TestGateway

before(async () => {
  backends = await Promise.all(NAMES.map((name) => startBackend((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 1 })
    res.end(name)
  })))
  const [a, b, c] = backends.map((x) => x.url)
  gw = await startGateway(`${BASE}
upstreams:
  weighted:
    balancer: weighted-round-robin
    targets: [{ url: ${a}, weight: 3 }, { url: ${b}, weight: 1 }, { url: ${c}, weight: 1 }]
  iphash:
    balancer: ip-hash
    hashOn: header:x-user
    targets: [{ url: ${a} }, { url: ${b} }, { url: ${c} }]
  ring:
    balancer: consistent-hash
    hashOn: header:x-user
    targets: [{ url: ${a} }, { url: ${b} }, { url: ${c} }]
routes:
  - { name: weighted, match: { path: /w }, upstream: weighted }
  - { name: iphash, match: { path: /ip }, upstream: iphash }
  - { name: ring, match: { path: /ring }, upstream: ring }
`)
})

after(async () => {
  await gw.close()
  await Promise.all(backends.map((b) => b.close()))
})

async function get (path: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await request(gw.url + path, { headers })
  assert.equal(res.statusCode, 200)
  return await res.body.text()
}

/** Sends `total` requests, `concurrency` at a time. */
async function load (total: number, concurrency: number, send: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) await send(next++)
  }))
}

test('weighted-round-robin with weights 3,1,1: backend counts 60/20/20 % within ±2 points', async () => {
  for (const b of backends) b.seen.length = 0
  const TOTAL = 1000
  await load(TOTAL, 8, () => get('/w'))
  const shares = backends.map((b) => b.seen.length / TOTAL)
  // Smooth WRR is exact per 5-pick cycle; the tolerance only covers requests that a
  // future retry might move. Today the counts are exactly 600/200/200.
  ;[0.6, 0.2, 0.2].forEach((expected, i) => assert.ok(Math.abs((shares[i] as number) - expected) <= 0.02, `shares ${shares.join()}`))
})

for (const [balancer, path] of [['ip-hash', '/ip'], ['consistent-hash', '/ring']] as const) {
  test(`${balancer} with hashOn header:x-user: the same user always reaches the same backend`, async () => {
    const USERS = 60
    const placed = new Map<string, Set<string>>()
    await load(USERS * 5, 8, async (i) => {
      const user = `user-${i % USERS}`
      const backend = await get(path, { 'x-user': user })
      placed.set(user, (placed.get(user) ?? new Set()).add(backend))
    })
    for (const [user, seen] of placed) assert.equal(seen.size, 1, `${user} reached ${[...seen]}`)
    // And the users are spread: every backend has some of them.
    const used = new Set([...placed.values()].flatMap((s) => [...s]))
    assert.deepEqual([...used].sort(), NAMES)
  })
}
