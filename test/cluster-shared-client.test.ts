// A worker's shared rate-limit store against the primary's stores, over in-memory IPC
// ports: one limit however the checks arrive, checks batched (fewer messages than
// checks, more so while a batch is on its way), and the worker's own store answering
// when the primary cannot.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { IpcRoutes } from '../src/cluster/ipc.js'
import { KIND } from '../src/cluster/protocol.js'
import { SharedClient, type StoreDefinition } from '../src/cluster/shared-client.js'
import { SharedStores } from '../src/cluster/shared-stores.js'
import type { RateRule } from '../src/rate-limit/rule.js'
import { pair } from './helpers/ipc-pair.js'

const RULE: RateRule = { route: 'r', algorithm: 'fixed-window', max: 10, window: 60_000, burst: 10, keyBy: 'ip' }

let alive: NodeJS.Timeout
before(() => { alive = setInterval(() => undefined, 1000) })
after(() => { clearInterval(alive) })

function primaryOn (port: ReturnType<typeof pair>[0]): SharedStores {
  const stores = new SharedStores()
  new IpcRoutes()
    .listen<StoreDefinition>(KIND.define, (d, from) => { stores.define(from, d) })
    .handle<Array<number | string>, number[]>(KIND.batch, (calls, from) => stores.batch(from, calls))
    .endpoint(port)
  return stores
}

test('two workers share one limit of 10; checks travel in batches', async () => {
  const [p1, w1] = pair()
  const [p2, w2] = pair()
  const stores = primaryOn(p1)
  new IpcRoutes()
    .listen<StoreDefinition>(KIND.define, (d, from) => { stores.define(from, d) })
    .handle<Array<number | string>, number[]>(KIND.batch, (calls, from) => stores.batch(from, calls))
    .endpoint(p2)
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
