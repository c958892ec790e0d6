// Keeps `count` cluster workers running. Each has a stable slot (1…N, its `id` in
// /stats) across replacements. A worker that dies is replaced: at once the first time,
// then with an exponential backoff while replacements keep dying young, so a crash
// loop cannot spin a core. Each death is one log line with the exit code or signal,
// and each replacement counts in turnpike_worker_restarts_total.
import cluster, { type Worker } from 'node:cluster'
import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { GatewayMetrics } from '../metrics.js'
import type { Endpoint, IpcRoutes } from './ipc.js'

/** A worker that lived less than this died young: the next replacement waits longer. */
const STABLE_MS = 10_000
const FIRST_BACKOFF_MS = 500
const MAX_BACKOFF_MS = 30_000

export const SLOT_ENV = 'TURNPIKE_WORKER_SLOT'

export interface Slot {
  readonly id: number
  worker: Worker | null
  endpoint: Endpoint | null
  /** True from the worker's 'ready' to its exit. */
  up: boolean
  restarts: number
  startedAt: number
  /** Consecutive deaths of young workers. */
  failures: number
  timer: NodeJS.Timeout | null
}

/** 'exit' carries the endpoint the worker spoke on (already closed). */
export class Supervisor extends EventEmitter<{ ready: [Slot], exit: [Slot, Endpoint | null] }> {
  readonly slots: Slot[]
  private stopping = false

  constructor (count: number, private readonly routes: IpcRoutes, private readonly logger: Logger, private readonly metrics: GatewayMetrics) {
    super()
    this.slots = Array.from({ length: count }, (_, i): Slot => ({
      id: i + 1, worker: null, endpoint: null, up: false, restarts: 0, startedAt: 0, failures: 0, timer: null
    }))
  }

  /** Forks every worker; resolves once all are ready, rejects if one dies first. */
  async start (): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onReady = (): void => {
        if (this.slots.every((s) => s.up)) {
          this.off('exit', onExit)
          this.off('ready', onReady)
          resolve()
        }
      }
      const onExit = (slot: Slot): void => {
        this.off('exit', onExit)
        this.off('ready', onReady)
        reject(new Error(`worker ${slot.id} exited before it was ready`))
      }
      this.on('ready', onReady)
      this.on('exit', onExit)
      for (const slot of this.slots) this.fork(slot)
    })
  }

  /** The slot a message came from. */
  slotOf (endpoint: Endpoint): Slot | undefined {
    return this.slots.find((s) => s.endpoint === endpoint)
  }

  markReady (slot: Slot): void {
    slot.up = true
    this.emit('ready', slot)
  }

  /** Ready workers' endpoints. */
  ready (): Array<{ slot: Slot, endpoint: Endpoint }> {
    return this.slots.flatMap((slot) => slot.up && slot.endpoint !== null ? [{ slot, endpoint: slot.endpoint }] : [])
  }

  /** No more replacements; resolves when every worker has exited (or `budgetMs` passed, then kills them). */
  async stop (budgetMs: number): Promise<void> {
    this.stopping = true
    for (const slot of this.slots) {
      if (slot.timer !== null) clearTimeout(slot.timer)
      slot.timer = null
    }
    const alive = this.slots.flatMap((s) => s.worker !== null ? [s.worker] : [])
    const exited = Promise.all(alive.map(async (w) => {
      if (w.isDead()) return
      await new Promise<void>((resolve) => w.once('exit', () => { resolve() }))
    }))
    const timer = setTimeout(() => {
      for (const w of alive) if (!w.isDead()) w.process.kill('SIGKILL')
    }, budgetMs)
    await exited
    clearTimeout(timer)
  }

  private fork (slot: Slot): void {
    slot.timer = null
    const worker = cluster.fork({ [SLOT_ENV]: String(slot.id) })
    slot.worker = worker
    slot.endpoint = this.routes.endpoint(worker)
    slot.startedAt = Date.now()
    worker.once('exit', (code, signal) => { this.exited(slot, worker, code, signal) })
  }

  private exited (slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return
    const endpoint = slot.endpoint
    endpoint?.close()
    slot.worker = null
    slot.endpoint = null
    slot.up = false
    this.emit('exit', slot, endpoint)
    if (this.stopping) return
    const lived = Date.now() - slot.startedAt
    slot.failures = lived < STABLE_MS ? slot.failures + 1 : 1
    const delay = slot.failures <= 1 ? 0 : Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (slot.failures - 2))
    this.logger.error({ worker: slot.id, workerPid: worker.process.pid, code, signal, livedMs: lived, restartInMs: delay },
      `worker ${slot.id} exited (${signal !== null ? `signal ${signal}` : `code ${String(code)}`}); replacing it`)
    slot.timer = setTimeout(() => {
      slot.restarts++
      this.metrics.workerRestartsTotal.inc()
      this.fork(slot)
    }, delay)
  }
}
