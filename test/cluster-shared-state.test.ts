// One gateway's state across server.workers: 2, each request on a connection of its own
// (so the requests land on both workers): a rate limit of 10 admits exactly 10 for all
// three algorithms, without Redis (the primary keeps the counters) and with it; a DDoS
// block and a run-time IP rule take effect on every worker.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { startChildGateway, type ChildGateway } from './helpers/child.js'
import { childPids, fresh, linesOf, waitForLines } from './helpers/cluster.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

let backend: Backend
let local: ChildGateway
let redis: ChildGateway

const config = (extra: string): string => `
server: { host: 127.0.0.1, port: 0, workers: 2, trustProxy: [127.0.0.1] }
admin: { host: 127.0.0.1, port: 0, token: test-token }
logging: { level: info, accessLog: true }
${extra}
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: fixed, match: { path: /fixed }, upstream: app, rateLimit: { algorithm: fixed-window, max: 10, window: 60s } }
  - { name: sliding, match: { path: /sliding }, upstream: app, rateLimit: { algorithm: sliding-window, max: 10, window: 60s } }
  - { name: bucket, match: { path: /bucket }, upstream: app, rateLimit: { algorithm: token-bucket, max: 10, window: 60s } }
  - { name: open, match: { path: /open }, upstream: app, rateLimit: false }
`

before(async () => {
  backend = await startBackend((_req, res) => { res.end('ok') })
  ;[local, redis] = await Promise.all([
    startChildGateway(config('security: { ddos: { threshold: 20, window: 60s, blockFor: 60s } }')),
    startChildGateway(config(`redis: { url: "${REDIS_URL}", keyPrefix: "tp-${randomUUID()}:" }`))
  ])
})

after(async () => {
  await Promise.all([local.close(), redis.close()])
  await backend.close()
})

/** The statuses of `n` requests, each on a new connection, and the workers that answered them. */
/**
 * The statuses of `n` requests from client `ip` (X-Forwarded-For, trusted from
 * 127.0.0.1), each on a new connection, and the workers that answered them.
 */
async function burst (gw: ChildGateway, path: string, n: number, ip: string): Promise<{ statuses: number[], pids: Set<unknown> }> {
  const mine = (l: { msg: string, [k: string]: unknown }): boolean => l.msg === 'access' && l.path === path && l.clientIp === ip
  const before = linesOf(gw, mine).length
  const statuses: number[] = []
  for (let i = 0; i < n; i++) statuses.push((await fresh(gw.url + path, { headers: { 'x-forwarded-for': ip } })).status)
  await waitForLines(gw, mine, before + n)
  const pids = new Set(linesOf(gw, mine).slice(before).map((l) => l.pid))
  return { statuses, pids }
}

const tenThenRefused = [...Array<number>(10).fill(200), ...Array<number>(5).fill(429)]

const ALGORITHMS = [['/fixed', '10.0.0.1'], ['/sliding', '10.0.0.2'], ['/bucket', '10.0.0.3']] as const

for (const [path, ip] of ALGORITHMS) {
  test(`without Redis, ${path.slice(1)} admits exactly 10 for the whole gateway`, async () => {
    const { statuses, pids } = await burst(local, path, 15, ip)
    assert.deepEqual(statuses, tenThenRefused)
    assert.deepEqual([...pids].sort(), childPids(local.proc.pid as number).sort(), 'both workers answered')
  })

  test(`with Redis, ${path.slice(1)} admits exactly 10 for the whole gateway`, async () => {
    const { statuses, pids } = await burst(redis, path, 15, ip)
    assert.deepEqual(statuses, tenThenRefused)
    assert.equal(pids.size, 2, 'both workers answered')
  })
}

test('without Redis, a DDoS threshold counts the whole gateway and its block holds on every worker', async () => {
  const { statuses, pids } = await burst(local, '/open', 30, '10.0.0.9')
  assert.deepEqual(statuses, [...Array<number>(20).fill(200), ...Array<number>(10).fill(429)])
  assert.equal(pids.size, 2, 'both workers answered')
  const refused = await fresh(local.url + '/open', { headers: { 'x-forwarded-for': '10.0.0.9' } })
  assert.ok(Number(refused.headers['retry-after']) > 0)
})

for (const [name, gw] of [['without Redis', () => local], ['with Redis', () => redis]] as const) {
  test(`a run-time IP rule takes effect on every worker at once (${name})`, async () => {
    const target = gw()
    const auth = { authorization: 'Bearer test-token' }
    const put = await request(target.adminUrl + '/ip-rules/deny/10.0.0.10', { method: 'PUT', headers: auth })
    assert.equal(put.statusCode, 200, await put.body.text())
    const denied = await burst(target, '/open', 10, '10.0.0.10')
    assert.deepEqual(denied.statuses, Array<number>(10).fill(403))
    assert.equal(denied.pids.size, 2, 'both workers refused it')
    const del = await request(target.adminUrl + '/ip-rules/deny/10.0.0.10', { method: 'DELETE', headers: auth })
    assert.equal(del.statusCode, 200, await del.body.text())
    const open = await burst(target, '/open', 10, '10.0.0.10')
    assert.deepEqual(open.statuses, Array<number>(10).fill(200))
  })
}
