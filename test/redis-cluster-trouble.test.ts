// A Redis Cluster that loses a master (three masters, no replicas: the cluster reports
// CLUSTERDOWN until it is back) must not stall the gateway: every request answered
// quickly, the link's breaker opens, and once the master is back two gateways share one
// limit again.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBackend } from './helpers/backend.js'
import { startGateway, type TestGateway } from './helpers/gateway.js'
import { startPrivateCluster } from './helpers/redis-cluster.js'
import { prefixFor, sharesOneLimit, timedGet, troubleConfig, TIMEOUT_MS } from './helpers/redis-trouble.js'

function stateOf (gw: TestGateway): string {
  const link = gw.gateway.edge.redis
  assert.ok(link !== null)
  return link.stats.state
}

test('Redis Cluster with a master killed: answers go on, the breaker opens; with the master back, one shared limit again', async (t) => {
  const cluster = await startPrivateCluster()
  const backend = await startBackend()
  const prefix = prefixFor('cluster')
  const a = await startGateway(troubleConfig(backend.url, cluster.url, prefix))
  const b = await startGateway(troubleConfig(backend.url, cluster.url, prefix))
  t.after(async () => {
    await a.close()
    await b.close()
    await cluster.close()
    await backend.close()
  })
  assert.ok(await sharesOneLimit(a, b), 'healthy: one limit for both gateways')

  const dead = await cluster.masterFor(`${prefix}probe`)
  await dead.kill()
  // Until the others agree the master failed (cluster-node-timeout 1 s), only its slots
  // fail; then the whole cluster answers CLUSTERDOWN and the breaker opens.
  const answers: Array<{ status: number, ms: number }> = []
  const until = Date.now() + 15_000
  while (stateOf(a) !== 'open' && Date.now() < until && answers.length < 2000) {
    answers.push(await timedGet(a, answers.length % 2 === 0 ? '/limited' : '/cached', { 'x-client': `c-${answers.length}` }))
  }
  assert.equal(stateOf(a), 'open', `the breaker opened after ${answers.length} requests`)
  const open: Array<{ status: number, ms: number }> = []
  for (let i = 0; i < 20; i++) open.push(await timedGet(a, i % 2 === 0 ? '/limited' : '/cached', { 'x-client': `open-${i}` }))
  const all = [...answers, ...open]
  assert.deepEqual(all.filter((r) => r.status !== 200), [], 'every request answered 200')
  const slowest = Math.max(...all.map((r) => r.ms))
  assert.ok(slowest < 1000, `slowest request took ${slowest.toFixed(0)} ms (redis.timeout ${TIMEOUT_MS} ms)`)
  const quick = open.filter((r) => r.ms < TIMEOUT_MS).length
  assert.ok(quick > open.length / 2, `with the breaker open ${quick} of ${open.length} requests took less than redis.timeout`)

  await cluster.restart(cluster.nodes.indexOf(dead))
  await cluster.healthy()
  assert.ok(await sharesOneLimit(a, b, 30_000), 'master back: one limit for both gateways again')
  assert.equal(stateOf(a), 'closed')
})
