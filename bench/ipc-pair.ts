// The harness of the IPC micro-benchmarks (shared-store.ts, shared-connections.ts). The
// script forks itself once. The worker runs one workload against the in-process
// implementation and against the one the primary serves over IPC, at concurrency 1, 8
// and 25 (all the calls queued in one event-loop turn travel in one message, so 1 is the
// worst case and higher concurrency shows the batching); for the shared one the CPU of
// both processes is summed.
import cluster from 'node:cluster'
import { cpuUsage } from 'node:process'
import { IpcRoutes, processPort, type Endpoint } from '../src/cluster/ipc.js'
import { cpuMs } from './cpu.js'

export interface PairBench<T> {
  /** Calls per measured run, and what one is called in the output (`check`, `connection`). */
  readonly operations: number
  readonly unit: string
  /** How the two sides are named in the output. */
  readonly localName: string
  readonly sharedName: string
  /** The primary's side: the message handlers that serve the shared implementation. */
  serve (routes: IpcRoutes): void
  /** The worker's side: both implementations. */
  make (primary: Endpoint, routes: IpcRoutes): { local: T, shared: T }
  /** `operations` calls in `concurrency` loops. */
  run (impl: T, concurrency: number): Promise<void>
}

const usedMs = (since: NodeJS.CpuUsage): number => { const u = cpuUsage(since); return (u.user + u.system) / 1000 }

export async function runPairBench<T> (bench: PairBench<T>): Promise<void> {
  const per = (ms: number): string => (ms * 1000 / bench.operations).toFixed(2)
  if (cluster.isPrimary) {
    const routes = new IpcRoutes()
    bench.serve(routes)
    cluster.setupPrimary({ execArgv: ['--import', 'tsx'] })
    const worker = cluster.fork()
    routes.endpoint(worker)
    routes.handle<{ local: number, shared: number, concurrency: number }, boolean>('result', ({ local, shared, concurrency }) => {
      console.log(`concurrency ${String(concurrency).padStart(3)}: ${bench.localName} ${per(local)} µs/${bench.unit}, ` +
        `${bench.sharedName} ${per(shared)} µs/${bench.unit} (both processes), +${per(shared - local)} µs`)
      return true
    })
    routes.handle<null, number>('primary-cpu', () => cpuMs(process.pid) ?? 0)
    worker.once('exit', () => { process.exit(0) })
    return
  }
  const routes = new IpcRoutes()
  const primary = routes.endpoint(processPort)
  const { local, shared } = bench.make(primary, routes)
  for (const concurrency of [1, 8, 25]) {
    await bench.run(shared, concurrency) // warm-up, JIT on both sides
    let since = cpuUsage()
    await bench.run(local, concurrency)
    const localMs = usedMs(since)
    const primaryBefore = await primary.request<number>('primary-cpu', null)
    since = cpuUsage()
    await bench.run(shared, concurrency)
    const workerMs = usedMs(since)
    const primaryMs = await primary.request<number>('primary-cpu', null) - primaryBefore
    await primary.request('result', { local: localMs, shared: workerMs + primaryMs, concurrency })
  }
  process.exit(0)
}
