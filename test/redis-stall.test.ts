// A Redis that stalls (SIGSTOP: connections open, nothing answered) or dies must not
// stall the gateway: every request is answered within a small multiple of
// redis.timeout, the link's breaker opens after a few failures so that the rest are
// served from in-process state at normal speed, it is logged once each way, and once
// Redis is back two gateways share one limit again.
import assert from 'node:assert/strict'
import { once, type EventEmitter } from 'node:events'
import { test } from 'node:test'
import { request } from 'undici'
import { startBackend } from './helpers/backend.js'
import { startGateway, type TestGateway } from './helpers/gateway.js'
import { startPrivateRedis } from './helpers/redis-server.js'
import { capturingLogger, prefixFor, sharesOneLimit, timedGet, troubleConfig, TIMEOUT_MS, type LogLine } from './helpers/redis-trouble.js'
import type { RedisLink } from '../src/redis/link.js'
import type { GatewayStats } from '../src/stats/types.js'

function linkOf (gw: TestGateway): RedisLink {
  const link = gw.gateway.edge.redis
  assert.ok(link !== null)
  return link
}

async function connected (gw: TestGateway): Promise<void> {
  const link = linkOf(gw)
  // Not events.once: connection errors before 'ready' are expected while Redis starts.
  if (!link.ready) await new Promise((resolve) => link.client.once('ready', resolve))
}

async function stats (gw: TestGateway): Promise<GatewayStats> {
  return await (await request(`${gw.adminUrl}/stats`)).body.json() as GatewayStats
}

async function metrics (gw: TestGateway): Promise<string> {
  return await (await request(`${gw.adminUrl}/metrics`)).body.text()
}

const transitions = (lines: LogLine[], word: 'open' | 'closed'): number => lines.filter((l) => l.msg.startsWith(`redis breaker ${word}`)).length

test('Redis stalled (SIGSTOP): every request answered quickly, the breaker opens once and closes once Redis resumes; limits shared again', async (t) => {
  const redis = await startPrivateRedis()
  const backend = await startBackend()
  const prefix = prefixFor('stall')
  const logs: LogLine[] = []
  const a = await startGateway(troubleConfig(backend.url, redis.url, prefix), { logger: capturingLogger(logs) })
  const b = await startGateway(troubleConfig(backend.url, redis.url, prefix))
  t.after(async () => {
    redis.resume()
    await a.close()
    await b.close()
    await redis.kill()
    await backend.close()
  })
  await connected(a)
  await connected(b)
  assert.ok(await sharesOneLimit(a, b), 'healthy: one limit for both gateways')
  assert.equal((await stats(a)).redis?.state, 'closed')

  const link = linkOf(a)
  redis.stall()
  const answers: Array<{ status: number, ms: number }> = []
  let openedAt = -1
  for (let i = 0; i < 40; i++) {
    // A new client each time, so that every answer is a 200 whoever counts it.
    answers.push(await timedGet(a, i % 2 === 0 ? '/limited' : '/cached', { 'x-client': `stalled-${i}` }))
    if (openedAt < 0 && link.stats.state === 'open') openedAt = i
  }
  assert.deepEqual(answers.filter((r) => r.status !== 200), [], 'every request answered 200')
  const slowest = Math.max(...answers.map((r) => r.ms))
  assert.ok(slowest < 1000, `slowest request took ${slowest.toFixed(0)} ms (redis.timeout ${TIMEOUT_MS} ms)`)
  assert.ok(openedAt >= 0 && openedAt < 10, `the breaker opened after request ${openedAt}`)
  const after = answers.slice(openedAt + 1)
  const quick = after.filter((r) => r.ms < TIMEOUT_MS).length
  assert.ok(quick > after.length / 2, `with the breaker open ${quick} of ${after.length} requests took less than redis.timeout`)

  const during = await stats(a)
  assert.equal(during.redis?.state, 'open')
  assert.match(await metrics(a), /^turnpike_redis_up 0$/m)
  assert.equal(transitions(logs, 'open'), 1, 'the opening is logged once')

  const up = once(link, 'up', { signal: AbortSignal.timeout(15_000) })
  redis.resume()
  await up
  assert.equal(transitions(logs, 'closed'), 1, 'the closing is logged once')
  assert.equal((await stats(a)).redis?.state, 'closed')
  assert.match(await metrics(a), /^turnpike_redis_up 1$/m)
  assert.ok(await sharesOneLimit(a, b), 'resumed: one limit for both gateways again')
})

test('Redis killed and started again on its port: answers go on, the breaker opens, and closes when Redis is back', async (t) => {
  let redis = await startPrivateRedis()
  const port = redis.port
  const backend = await startBackend()
  const prefix = prefixFor('kill')
  const a = await startGateway(troubleConfig(backend.url, redis.url, prefix))
  const b = await startGateway(troubleConfig(backend.url, redis.url, prefix))
  t.after(async () => {
    await a.close()
    await b.close()
    await redis.kill()
    await backend.close()
  })
  await connected(a)
  await connected(b)
  assert.ok(await sharesOneLimit(a, b))

  await redis.kill()
  const answers: Array<{ status: number, ms: number }> = []
  for (let i = 0; i < 20; i++) answers.push(await timedGet(a, i % 2 === 0 ? '/limited' : '/cached', { 'x-client': `killed-${i}` }))
  assert.deepEqual(answers.filter((r) => r.status !== 200), [])
  assert.ok(Math.max(...answers.map((r) => r.ms)) < 1000)
  assert.equal(linkOf(a).stats.state, 'open')

  redis = await startPrivateRedis(port)
  assert.ok(await sharesOneLimit(a, b), 'Redis back: one limit for both gateways again')
  assert.equal(linkOf(a).stats.state, 'closed')
})

test('a stall under load: the commands awaiting a reply stay bounded, every request is answered', async (t) => {
  const redis = await startPrivateRedis()
  const backend = await startBackend()
  const a = await startGateway(troubleConfig(backend.url, redis.url, prefixFor('bounded')))
  t.after(async () => {
    redis.resume()
    await a.close()
    await redis.kill()
    await backend.close()
  })
  await connected(a)
  const link = linkOf(a)

  redis.stall()
  // The stalled connection is dropped 2 s after a command got no reply; on a fast
  // machine the load below can be over before that, so the end state is read after it.
  let dropped = false
  // (Not events.once: the drop comes with an 'error', which would reject it.)
  const drop = new Promise<void>((resolve) => { (link.client as unknown as EventEmitter).once('close', () => { dropped = true; resolve() }) })
  let maxQueued = 0
  let maxInFlight = 0
  const sampler = setInterval(() => {
    maxQueued = Math.max(maxQueued, link.queued)
    maxInFlight = Math.max(maxInFlight, link.inFlight)
  }, 5)
  // 16 clients at once, 2000 requests or 8 s, whichever comes first; longer than the
  // 2 s after which a stalled connection is dropped.
  const until = Date.now() + 8000
  let sent = 0
  const statuses = new Map<number, number>()
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (sent < 2000 && Date.now() < until) {
      const i = sent++
      const { status } = await timedGet(a, i % 2 === 0 ? '/limited' : '/cached', { 'x-client': `load-${i}` })
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
    }
  }))
  if (!dropped) await drop
  clearInterval(sampler)
  assert.deepEqual([...statuses.keys()], [200], `every request answered 200: ${JSON.stringify([...statuses])}`)
  // Without the breaker and the dropped socket, each of the requests would leave its
  // commands queued on the stalled connection: thousands.
  assert.ok(maxQueued <= 64, `at most ${maxQueued} replies awaited on the connection`)
  assert.ok(maxInFlight <= 64, `at most ${maxInFlight} commands of the link in flight`)
  // At most the handshake of the latest reconnect (HELLO, CLIENT SETINFO ×2): dropped with it.
  assert.ok(link.queued <= 4, `${link.queued} replies still awaited at the end of the stall`)
})
