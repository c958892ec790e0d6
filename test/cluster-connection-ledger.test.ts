// The worker's connection ledger against the primary's count, over an in-memory IPC
// pair: admits of one event-loop turn travel in one message, releases too; a primary
// that does not answer in time never holds a connection (the worker decides on its own
// connections) and its late answer gives the places back; a worker that exits gives
// back every place it held; a closed channel decides at once.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConnectionCounts } from '../src/cluster/connection-counts.js'
import { IpcRoutes, type Endpoint } from '../src/cluster/ipc.js'
import { KIND } from '../src/cluster/protocol.js'
import { SharedConnectionLedger } from '../src/cluster/shared-connections.js'
import type { Admission } from '../src/edge/connection-ledger.js'
import { pair, type TestPort } from './helpers/ipc-pair.js'

interface Setup {
  counts: ConnectionCounts
  ledger: SharedConnectionLedger
  workerPort: TestPort
  /** The worker's endpoint as the primary sees it. */
  worker: Endpoint
  /** Holds the primary's answers to admits until `answer()` is called. */
  hold: () => { answer: () => void }
}

function setup (): Setup {
  const [primaryPort, workerPort] = pair()
  const counts = new ConnectionCounts()
  let gate: Promise<void> | null = null
  const routes = new IpcRoutes()
    .handle<Array<string | number | null>, number[]>(KIND.connectionsAdmit, async (calls, from) => {
      if (gate !== null) await gate
      return counts.admit(from, calls)
    })
    .listen<Array<string | null>>(KIND.connectionsRelease, (addresses, from) => { counts.release(from, addresses) })
    .listen<Array<string | number | null>>(KIND.connectionsReturn, (returns, from) => { counts.giveBack(from, returns) })
  const worker = routes.endpoint(primaryPort)
  const workerRoutes = new IpcRoutes()
  const ledger = new SharedConnectionLedger(workerRoutes.endpoint(workerPort), workerRoutes)
  const hold = (): { answer: () => void } => {
    let open!: () => void
    gate = new Promise((resolve) => { open = resolve })
    return { answer: () => { gate = null; open() } }
  }
  return { counts, ledger, workerPort, worker, hold }
}

const settled = async (): Promise<void> => { for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve)) }

test('the admits of one turn go in one message and the primary\'s one count decides them; releases are batched too', async () => {
  const { counts, ledger, workerPort } = setup()
  const sent = workerPort.sent
  const verdicts = await Promise.all(Array.from({ length: 6 }, async () => await ledger.admit('10.0.0.1', 3, Infinity)))
  assert.deepEqual(verdicts, ['admitted', 'admitted', 'admitted', 'per-ip', 'per-ip', 'per-ip'])
  assert.equal(workerPort.sent - sent, 1, 'one message for six admits')
  assert.equal(await ledger.admit(null, Infinity, 4), 'admitted', 'an exempt peer counts in the total only')
  assert.equal(await ledger.admit('10.0.0.2', 3, 4), 'total')
  assert.equal(counts.open, 4)
  assert.equal(ledger.open, 4, 'the worker knows its own connections')

  const before = workerPort.sent
  for (let i = 0; i < 3; i++) ledger.release('10.0.0.1')
  ledger.release(null)
  await settled()
  assert.equal(workerPort.sent - before, 1, 'one message for four releases')
  assert.equal(counts.open, 0)
  assert.equal(counts.addresses, 0, 'no entry left behind')
})

test('a primary that does not answer in time: the worker decides on its own connections, and the late answer gives the places back', async () => {
  const { counts, ledger, hold } = setup()
  assert.equal(await ledger.admit('10.0.0.1', 2, Infinity), 'admitted') // counted by the primary
  const late = hold()
  const waiting = [ledger.admit('10.0.0.1', 2, Infinity), ledger.admit('10.0.0.1', 2, Infinity)]
  assert.deepEqual(await Promise.all(waiting), ['admitted', 'per-ip'], 'decided here, against this worker\'s own connections')
  const meanwhile = ledger.admit('10.0.0.9', 2, Infinity)
  assert.equal(meanwhile, 'admitted', 'while the primary is late, answered at once')
  assert.equal(counts.open, 1, 'the primary has not answered yet')

  late.answer()
  await settled()
  assert.equal(counts.open, 1, 'the place the primary counted for the admit decided here went back to it')
  assert.equal(await ledger.admit('10.0.0.5', 2, Infinity), 'admitted', 'the primary answers again')
  assert.equal(counts.open, 2)
  for (const address of ['10.0.0.1', '10.0.0.1', '10.0.0.9', '10.0.0.5']) ledger.release(address)
  await settled()
  assert.equal(counts.open, 0, 'each place released once, where it was counted')
  assert.equal(ledger.open, 0)
})

test('a worker that exits gives back every place it held', async () => {
  const { counts, ledger, worker } = setup()
  const verdicts: Admission[] = await Promise.all([ledger.admit('10.0.0.1', 5, 10), ledger.admit('10.0.0.1', 5, 10), ledger.admit(null, 5, 10)])
  assert.deepEqual(verdicts, ['admitted', 'admitted', 'admitted'])
  assert.equal(counts.open, 3)
  counts.drop(worker)
  assert.equal(counts.open, 0)
  assert.equal(counts.addresses, 0)
  counts.release(worker, ['10.0.0.1']) // a release that was on its way: nothing to give back twice
  assert.equal(counts.open, 0)
})

test('the channel to the primary closed: each admit is decided at once by the worker', async () => {
  const { counts, ledger, workerPort } = setup()
  workerPort.connected = false
  assert.deepEqual(await Promise.all([ledger.admit('10.0.0.1', 1, Infinity), ledger.admit('10.0.0.1', 1, Infinity)]), ['admitted', 'per-ip'])
  assert.equal(counts.open, 0)
  ledger.release('10.0.0.1')
  assert.equal(ledger.open, 0)
})

/** Two workers' ledgers against one primary count. */
function twoWorkers (): { counts: ConnectionCounts, one: SharedConnectionLedger, two: SharedConnectionLedger, sent: () => number } {
  const counts = new ConnectionCounts(() => 2)
  const routes = new IpcRoutes()
    .handle<Array<string | number | null>, number[]>(KIND.connectionsAdmit, (calls, from) => counts.admit(from, calls))
    .listen<Array<string | null>>(KIND.connectionsRelease, (addresses, from) => { counts.release(from, addresses) })
    .listen<Array<string | number | null>>(KIND.connectionsReturn, (returns, from) => { counts.giveBack(from, returns) })
  const ports: TestPort[] = []
  const ledger = (): SharedConnectionLedger => {
    const [primaryPort, workerPort] = pair()
    routes.endpoint(primaryPort)
    ports.push(workerPort)
    const workerRoutes = new IpcRoutes()
    return new SharedConnectionLedger(workerRoutes.endpoint(workerPort), workerRoutes)
  }
  return { counts, one: ledger(), two: ledger(), sent: () => ports.reduce((n, p) => n + p.sent, 0) }
}

test('far from the limits a busy address is admitted from a block of places: a message per block, not per connection', async () => {
  const { counts, one, sent } = twoWorkers()
  const open = async (): Promise<void> => { assert.equal(await one.admit('10.0.0.1', 10_000, 100_000), 'admitted') }
  await open() // seen once: no block
  await open() // busy: this admit brings a block along
  const before = sent()
  for (let i = 0; i < 500; i++) {
    await open()
    one.release('10.0.0.1')
  }
  await settled()
  assert.ok(sent() - before < 20, `500 connections opened and closed in ${sent() - before} messages`)
  assert.equal(one.open, 2)
  assert.ok(counts.open >= 2, 'the primary counts the open connections (and the block set aside)')
})

test('blocks never pass a limit, and a block one worker holds comes back as the address nears its limit', async () => {
  const { counts, one, two } = twoWorkers()
  assert.equal(await one.admit('10.0.0.1', 300, 100_000), 'admitted')
  assert.equal(await one.admit('10.0.0.1', 300, 100_000), 'admitted') // and a block
  let admitted = 0
  for (let i = 0; i < 400; i++) if (await two.admit('10.0.0.1', 300, 100_000) === 'admitted') admitted++
  assert.equal(admitted, 298, 'every place but the two the first worker\'s connections hold')
  assert.equal(await one.admit('10.0.0.1', 300, 100_000), 'per-ip', 'and the first worker has none left either')
  await settled()
  assert.equal(counts.open, 300)
})

test('total: blocks of every address come back as the gateway nears its total', async () => {
  const { counts, one, two } = twoWorkers()
  for (const address of ['10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.2']) assert.equal(await one.admit(address, 10_000, 400), 'admitted')
  let admitted = 0
  for (let i = 0; i < 500; i++) if (await two.admit(`10.0.1.${i % 2}`, 10_000, 400) === 'admitted') admitted++
  assert.equal(admitted, 396)
  await settled()
  assert.equal(counts.open, 400)
})
