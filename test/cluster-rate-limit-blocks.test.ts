// server.workers: 2 without Redis, rate limits of 300 and a DDoS threshold of 500: far
// from its limit a key is admitted by each worker from a block of budget the primary
// lent it, and near the limit check by check by the primary; the gateway still admits
// exactly 300, for all three algorithms, and blocks an address after exactly 500, with
// requests 16 at a time, each on a connection of its own (so both workers answer).
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startBackend, type Backend } from './helpers/backend.js'
import { startChildGateway, type ChildGateway } from './helpers/child.js'
import { fresh, linesOf, waitForLines } from './helpers/cluster.js'

let backend: Backend
let gw: ChildGateway

// A day-long window: no window ends and no bucket refills measurably during the test.
before(async () => {
  backend = await startBackend((_req, res) => { res.end('ok') })
  gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0, workers: 2, trustProxy: [127.0.0.1] }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: true }
security: { ddos: { threshold: 500, window: 24h, blockFor: 24h } }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: fixed, match: { path: /fixed }, upstream: app, rateLimit: { algorithm: fixed-window, max: 300, window: 24h } }
  - { name: sliding, match: { path: /sliding }, upstream: app, rateLimit: { algorithm: sliding-window, max: 300, window: 24h } }
  - { name: bucket, match: { path: /bucket }, upstream: app, rateLimit: { algorithm: token-bucket, max: 300, window: 24h } }
  - { name: open, match: { path: /open }, upstream: app, rateLimit: false }
`)
})

after(async () => {
  await gw.close()
  await backend.close()
})

/** `n` requests from `ip` to `path`, 16 at a time, each on a new connection: the statuses, and the workers that answered. */
async function burst (path: string, ip: string, n: number): Promise<{ statuses: number[], pids: Set<unknown> }> {
  const mine = (l: { msg: string, [k: string]: unknown }): boolean => l.msg === 'access' && l.path === path && l.clientIp === ip
  const statuses: number[] = []
  let left = n
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (left-- > 0) statuses.push((await fresh(gw.url + path, { headers: { 'x-forwarded-for': ip } })).status)
  }))
  await waitForLines(gw, mine, n)
  return { statuses, pids: new Set(linesOf(gw, mine).map((l) => l.pid)) }
}

// 400 requests from each address: under the DDoS threshold.
for (const [path, ip] of [['/fixed', '10.0.1.1'], ['/sliding', '10.0.1.2'], ['/bucket', '10.0.1.3']] as const) {
  test(`${path.slice(1)}: 400 requests over both workers, exactly 300 admitted`, async () => {
    const { statuses, pids } = await burst(path, ip, 400)
    assert.equal(statuses.filter((s) => s === 200).length, 300)
    assert.equal(statuses.filter((s) => s === 429).length, 100)
    assert.equal(pids.size, 2, 'both workers answered')
  })
}

test('DDoS: 600 requests from one address over both workers, exactly 500 served, then blocked on every worker', async () => {
  const { statuses, pids } = await burst('/open', '10.0.1.9', 600)
  assert.equal(statuses.filter((s) => s === 200).length, 500)
  assert.equal(statuses.filter((s) => s === 429).length, 100)
  assert.equal(pids.size, 2, 'both workers answered')
  const after = await burst('/open', '10.0.1.9', 10)
  assert.deepEqual(after.statuses, Array<number>(10).fill(429))
  assert.equal(after.pids.size, 2, 'both workers refuse it')
})
