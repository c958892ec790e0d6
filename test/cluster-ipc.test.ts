// The IPC seam between the primary and its workers, over a pair of in-memory ports (the
// real ones are a cluster worker and `process`): requests and answers, errors carried
// back, timeouts, a closed channel failing what waits, casts, and foreign messages
// (node:cluster's own, prom-client's) left alone.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { IpcError, IpcRoutes } from '../src/cluster/ipc.js'
import { pair } from './helpers/ipc-pair.js'

// The seam's timers are unref'd (they must never hold a process up); a real process has
// its listeners to keep it running, this test has this interval.
let alive: NodeJS.Timeout
before(() => { alive = setInterval(() => undefined, 1000) })
after(() => { clearInterval(alive) })

test('a request gets the handler\'s answer, sync or async, and knows which endpoint asked', async () => {
  const [a, b] = pair()
  const primary = new IpcRoutes()
  const seen: unknown[] = []
  primary.handle<number, number>('double', (n, from) => { seen.push(from); return n * 2 })
  primary.handle<string, string>('later', async (s) => await new Promise((resolve) => setTimeout(() => { resolve(s + '!') }, 5)))
  const onPrimary = primary.endpoint(a)
  const worker = new IpcRoutes().endpoint(b)
  assert.equal(await worker.request('double', 21), 42)
  assert.equal(await worker.request('later', 'hi'), 'hi!')
  assert.deepEqual(seen, [onPrimary])
})

test('a handler\'s error, or no handler, rejects the request with an IpcError', async () => {
  const [a, b] = pair()
  new IpcRoutes().handle('fail', () => { throw new Error('cannot build') }).endpoint(a)
  const worker = new IpcRoutes().endpoint(b)
  await assert.rejects(worker.request('fail', null), (err: Error) => err instanceof IpcError && err.message === 'cannot build')
  await assert.rejects(worker.request('nothing', null), /no handler for nothing/)
})

test('no answer within the timeout rejects; closing rejects what still waits', async () => {
  const [a, b] = pair()
  new IpcRoutes().handle('slow', async () => await new Promise(() => undefined)).endpoint(a)
  const worker = new IpcRoutes().endpoint(b)
  await assert.rejects(worker.request('slow', null, 20), /no answer to slow within 20 ms/)
  const waiting = worker.request('slow', null)
  worker.close()
  await assert.rejects(waiting, /the IPC channel closed before slow was answered/)
  await assert.rejects(worker.request('slow', null), /the IPC channel is closed/)
})

test('casts reach their listener; other messages on the channel are ignored', async () => {
  const [a, b] = pair()
  const got: unknown[] = []
  const arrived = new Promise<void>((resolve) => {
    new IpcRoutes().listen<{ n: number }>('verdict', (body) => { got.push(body); resolve() }).endpoint(a)
  })
  b.send({ cmd: 'NODE_CLUSTER', act: 'online' })
  b.send({ type: 'prom-client:getMetricsReq', requestId: 1 })
  const worker = new IpcRoutes().endpoint(b)
  worker.cast('verdict', { n: 1 })
  await arrived
  assert.deepEqual(got, [{ n: 1 }])
  b.connected = false
  worker.cast('verdict', { n: 2 }) // dropped, not thrown
})
