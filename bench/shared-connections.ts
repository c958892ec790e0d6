// `node --import tsx bench/shared-connections.ts`: what counting a connection costs when
// the primary keeps the count (security.connections with server.workers > 1) against
// the worker's own in-process ledger, in CPU µs per connection (admit + release) summed
// over both processes. One worker runs `concurrency` loops of admit-then-release, so
// concurrency 1 is the worst case (a message per admit, one per release) and higher
// concurrency shows the batching (many connections accepted in one event-loop turn).
import cluster from 'node:cluster'
import { cpuUsage } from 'node:process'
import { ConnectionCounts } from '../src/cluster/connection-counts.js'
import { IpcRoutes, type Port } from '../src/cluster/ipc.js'
import { KIND } from '../src/cluster/protocol.js'
import { SharedConnectionLedger } from '../src/cluster/shared-connections.js'
import { LocalConnectionLedger, type ConnectionLedger } from '../src/edge/connection-ledger.js'
import { cpuMs } from './cpu.js'

const CONNECTIONS = 50_000
const ADDRESSES = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`)

async function run (ledger: ConnectionLedger, concurrency: number): Promise<void> {
  let left = CONNECTIONS
  const loop = async (): Promise<void> => {
    while (left-- > 0) {
      const address = ADDRESSES[left % ADDRESSES.length]!
      if (await ledger.admit(address, 1_000_000, 1_000_000_000) === 'admitted') ledger.release(address)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
}

const usedMs = (since: NodeJS.CpuUsage): number => { const u = cpuUsage(since); return (u.user + u.system) / 1000 }

if (cluster.isPrimary) {
  const counts = new ConnectionCounts()
  const routes = new IpcRoutes()
    .handle<Array<string | number | null>, number[]>(KIND.connectionsAdmit, (calls, from) => counts.admit(from, calls))
    .listen<Array<string | null>>(KIND.connectionsRelease, (addresses, from) => { counts.release(from, addresses) })
  cluster.setupPrimary({ execArgv: ['--import', 'tsx'] })
  const worker = cluster.fork()
  routes.endpoint(worker)
  routes.handle<{ local: number, shared: number, concurrency: number }, boolean>('result', ({ local, shared, concurrency }) => {
    console.log(`concurrency ${String(concurrency).padStart(3)}: local ledger ${(local * 1000 / CONNECTIONS).toFixed(2)} µs/connection, ` +
      `counted by the primary ${(shared * 1000 / CONNECTIONS).toFixed(2)} µs/connection (both processes), ` +
      `+${((shared - local) * 1000 / CONNECTIONS).toFixed(2)} µs`)
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
  const shared = new SharedConnectionLedger(primary)
  const local = new LocalConnectionLedger()
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
