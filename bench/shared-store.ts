// `node --import tsx bench/shared-store.ts`: what a rate-limit check costs when the
// primary keeps the counters (server.workers > 1 without Redis) against the worker's own
// in-process store, in CPU µs per check summed over both processes. One worker runs
// `concurrency` loops of checks; all the checks queued in one event-loop turn travel in
// one IPC message, so concurrency 1 is the worst case (a message per check) and higher
// concurrency shows the batching. The end-to-end cost on a route is the
// `turnpike-w2-ratelimit` target of `npm run bench`.
import cluster from 'node:cluster'
import { cpuUsage } from 'node:process'
import { IpcRoutes, type Port } from '../src/cluster/ipc.js'
import { KIND } from '../src/cluster/protocol.js'
import { SharedClient, type StoreDefinition } from '../src/cluster/shared-client.js'
import { SharedStores } from '../src/cluster/shared-stores.js'
import { LocalStore, type RateStore } from '../src/rate-limit/local-store.js'
import type { RateRule } from '../src/rate-limit/rule.js'
import { cpuMs } from './cpu.js'

const CHECKS = 50_000
const RULE: RateRule = { route: 'bench', algorithm: 'sliding-window', max: 1e9, window: 60_000, burst: 1e9, keyBy: 'ip' }

async function run (store: RateStore, concurrency: number): Promise<void> {
  let left = CHECKS
  const loop = async (): Promise<void> => {
    while (left-- > 0) await store.check('10.0.0.1')
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
}

const usedMs = (since: NodeJS.CpuUsage): number => { const u = cpuUsage(since); return (u.user + u.system) / 1000 }

if (cluster.isPrimary) {
  const stores = new SharedStores()
  const routes = new IpcRoutes()
    .listen<StoreDefinition>(KIND.define, (d, from) => { stores.define(from, d) })
    .handle<Array<number | string>, number[]>(KIND.batch, (calls, from) => stores.batch(from, calls))
  cluster.setupPrimary({ execArgv: ['--import', 'tsx'] })
  const worker = cluster.fork()
  routes.endpoint(worker)
  routes.handle<{ local: number, shared: number, concurrency: number }, boolean>('result', ({ local, shared, concurrency }) => {
    console.log(`concurrency ${String(concurrency).padStart(3)}: local store ${(local * 1000 / CHECKS).toFixed(2)} µs/check, ` +
      `shared through the primary ${(shared * 1000 / CHECKS).toFixed(2)} µs/check (both processes), ` +
      `+${((shared - local) * 1000 / CHECKS).toFixed(2)} µs`)
    return true
  })
  routes.handle<null, number>('primary-cpu', () => cpuMs(process.pid) ?? 0)
  worker.once('exit', () => { process.exit(0) })
} else {
  const port: Port = {
    send: (m) => process.send?.(m),
    on: (e, l) => process.on(e, l),
    off: (e, l) => process.off(e, l),
    isConnected: () => process.connected
  }
  const primary = new IpcRoutes().endpoint(port)
  const shared = new SharedClient(primary).rateStore(RULE)
  const local = new LocalStore(RULE)
  for (const concurrency of [1, 8, 25]) {
    await run(shared, concurrency) // warm-up, JIT on both sides
    let since = cpuUsage()
    await run(local, concurrency)
    const localMs = usedMs(since)
    const primaryBefore = await primary.request<number>('primary-cpu', null)
    since = cpuUsage()
    await run(shared, concurrency)
    const workerMs = usedMs(since)
    const primaryMs = await primary.request<number>('primary-cpu', null) - primaryBefore
    await primary.request('result', { local: localMs, shared: workerMs + primaryMs, concurrency })
  }
  process.exit(0)
}
