// A worker's shared rate-limit store against the primary's stores, over in-memory IPC
// ports: one limit however the checks arrive, checks batched (fewer messages than
// checks, more so while a batch is on its way), and the worker's own store answering
// when the primary cannot.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { IpcRoutes } from '../src/cluster/ipc.js'
import { SharedClient } from '../src/cluster/shared-client.js'
import { SharedStores } from '../src/cluster/shared-stores.js'
import type { RateStore } from '../src/rate-limit/local-store.js'
import type { RateRule } from '../src/rate-limit/rule.js'
import { pair } from './helpers/ipc-pair.js'

const RULE: RateRule = { route: 'r', algorithm: 'fixed-window', max: 10, window: 60_000, burst: 10, keyBy: 'ip' }

let alive: NodeJS.Timeout
before(() => { alive = setInterval(() => undefined, 1000) })
after(() => { clearInterval(alive) })

function primaryOn (port: ReturnType<typeof pair>[0]): SharedStores {
  const routes = new IpcRoutes()
  const stores = new SharedStores().serve(routes)
  routes.endpoint(port)
  return stores
}

test('two workers share one limit of 10; checks travel in batches', async () => {
  const [p1, w1] = pair()
  const [p2, w2] = pair()
  const routes = new IpcRoutes()
  new SharedStores().serve(routes)
  routes.endpoint(p1)
  routes.endpoint(p2)
  const one = new SharedClient(new IpcRoutes().endpoint(w1)).rateStore(RULE)
  const two = new SharedClient(new IpcRoutes().endpoint(w2)).rateStore(RULE)
  const verdicts = await Promise.all(Array.from({ length: 30 }, async (_, i) => await (i % 2 === 0 ? one : two).check('10.0.0.1')))
  assert.equal(verdicts.filter((v) => v.current <= 10).length, 10, 'exactly 10 admitted over both workers')
  // One define and one batch per worker: 15 checks each, 2 messages each.
  assert.equal(w1.sent, 2)
  assert.equal(w2.sent, 2)
})

test('checks made while a batch is on its way wait for it and go together', async () => {
  const [p, w] = pair()
  primaryOn(p)
  const store = new SharedClient(new IpcRoutes().endpoint(w)).rateStore({ ...RULE, max: 1000 })
  await store.check('warm') // the define is sent
  const before = w.sent
  const turn = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }
  const checks: unknown[] = []
  // One check per event-loop turn, as requests arriving on different sockets are: without
  // the wait each would be a message of its own.
  for (let i = 0; i < 6; i++) {
    checks.push(store.check(`k${i}`))
    await turn()
  }
  await Promise.all(checks)
  assert.ok(w.sent - before <= 3, `6 checks in ${w.sent - before} messages`)
})

test('the primary unreachable: the worker\'s own store answers, never an error', async () => {
  const [, w] = pair() // nobody answers on the other side
  w.connected = false
  const store = new SharedClient(new IpcRoutes().endpoint(w)).rateStore(RULE)
  const verdicts = await Promise.all(Array.from({ length: 12 }, async () => await store.check('10.0.0.1')))
  assert.deepEqual(verdicts.map((v) => v.current), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 11])
})

/** Two workers' clients over one primary; `sent()`: messages both workers sent. */
function twoClients (): { one: SharedClient, two: SharedClient, sent: () => number } {
  const [p1, w1] = pair()
  const [p2, w2] = pair()
  const routes = new IpcRoutes()
  new SharedStores(() => 2).serve(routes)
  routes.endpoint(p1)
  routes.endpoint(p2)
  const client = (w: typeof w1): SharedClient => {
    const workerRoutes = new IpcRoutes()
    return new SharedClient(workerRoutes.endpoint(w), workerRoutes)
  }
  return { one: client(w1), two: client(w2), sent: () => w1.sent + w2.sent }
}

/** Two workers' stores of `rule` over one primary; `sent()`: messages both workers sent. */
function twoWorkers (rule: RateRule): { one: RateStore, two: RateStore, sent: () => number } {
  const { one, two, sent } = twoClients()
  return { one: one.rateStore(rule), two: two.rateStore(rule), sent }
}

// A day-long window: no window ends and no bucket refills measurably during the test.
const DAY = 86_400_000
const ALGORITHMS = ['fixed-window', 'sliding-window', 'token-bucket'] as const

for (const algorithm of ALGORITHMS) {
  test(`${algorithm}: far from the limit a worker admits from its block, and the two still admit exactly 1000`, async () => {
    const { one, two, sent } = twoWorkers({ ...RULE, algorithm, max: 1000, burst: 1000, window: DAY })
    let admitted = 0
    let farFromLimit = 0
    for (let i = 0; i < 1500; i++) {
      const verdict = await (i % 2 === 0 ? one : two).check('10.0.0.1')
      if (verdict.current <= 1000) admitted++
      if (i === 799) farFromLimit = sent()
    }
    assert.equal(admitted, 1000)
    // Two defines, then a block request every few dozen checks (near the limit, and
    // once refused, every check is the primary's).
    assert.ok(farFromLimit < 80, `the first 800 checks in ${farFromLimit} messages`)
  })

  test(`${algorithm}: a block one worker holds comes back as the key nears its limit, so the other gets every unit`, async () => {
    const { one, two } = twoWorkers({ ...RULE, algorithm, max: 500, burst: 500, window: DAY })
    assert.ok((await one.check('10.0.0.2')).current <= 500) // takes a block, uses one unit of it
    let admitted = 0
    for (let i = 0; i < 600; i++) if ((await two.check('10.0.0.2')).current <= 500) admitted++
    assert.equal(admitted, 499, 'every unit but the one the first worker used')
    assert.ok((await one.check('10.0.0.2')).current > 500, 'and the first worker has none left either')
  })
}

test('DDoS: far from the threshold each worker admits from its block; the gateway blocks at exactly the threshold, on both workers', async () => {
  const { one, two, sent } = twoClients()
  const settings = { threshold: 1000, window: DAY, blockFor: DAY }
  const hit = [one.ddosCheck(settings), two.ddosCheck(settings)]
  let admitted = 0
  let farFromLimit = 0
  for (let i = 0; i < 1200; i++) {
    if (await hit[i % 2]!('10.0.0.1') === 0) admitted++
    if (i === 599) farFromLimit = sent()
  }
  assert.equal(admitted, 1000)
  assert.ok(farFromLimit < 40, `the first 600 checks in ${farFromLimit} messages`)
  for (const check of hit) assert.ok(await check('10.0.0.1') > 0, 'blocked on both workers')
  assert.equal(await hit[0]!('10.0.0.2'), 0, 'another address is not')
})

test('DDoS: a block of the threshold one worker holds comes back as the address nears it', async () => {
  const { one, two } = twoClients()
  const settings = { threshold: 500, window: DAY, blockFor: DAY }
  const [first, second] = [one.ddosCheck(settings), two.ddosCheck(settings)]
  assert.equal(await first('10.0.0.3'), 0) // takes a block, uses one unit of it
  let admitted = 0
  for (let i = 0; i < 600; i++) if (await second('10.0.0.3') === 0) admitted++
  assert.equal(admitted, 499)
  assert.ok(await first('10.0.0.3') > 0, 'and the first worker sees the block')
})
