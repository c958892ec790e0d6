// server.workers: 2 without Redis, limits of 300: far from its limit a key is admitted
// by each worker from a block of budget the primary lent it, and near the limit check
// by check by the primary; the gateway still admits exactly 300, for all three
// algorithms, with requests 16 at a time, each on a connection of its own (so both
// workers answer).
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
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: fixed, match: { path: /fixed }, upstream: app, rateLimit: { algorithm: fixed-window, max: 300, window: 24h } }
  - { name: sliding, match: { path: /sliding }, upstream: app, rateLimit: { algorithm: sliding-window, max: 300, window: 24h } }
  - { name: bucket, match: { path: /bucket }, upstream: app, rateLimit: { algorithm: token-bucket, max: 300, window: 24h } }
`)
})

after(async () => {
  await gw.close()
  await backend.close()
})

for (const [path, ip] of [['/fixed', '10.0.1.1'], ['/sliding', '10.0.1.2'], ['/bucket', '10.0.1.3']] as const) {
  test(`${path.slice(1)}: 400 requests over both workers, exactly 300 admitted`, async () => {
    const mine = (l: { msg: string, [k: string]: unknown }): boolean => l.msg === 'access' && l.path === path && l.clientIp === ip
    const statuses: number[] = []
    let left = 400
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (left-- > 0) statuses.push((await fresh(gw.url + path, { headers: { 'x-forwarded-for': ip } })).status)
    }))
    await waitForLines(gw, mine, 400)
    assert.equal(statuses.filter((s) => s === 200).length, 300)
    assert.equal(statuses.filter((s) => s === 429).length, 100)
    assert.equal(new Set(linesOf(gw, mine).map((l) => l.pid)).size, 2, 'both workers answered')
  })
}
