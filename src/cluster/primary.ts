// The cluster primary (`server.workers` > 1): it owns the config (loaded, watched and
// validated once here), the admin server, the active health checks and the workers'
// supervision, and serves no data-plane traffic. A reload is all or none: every worker
// builds the new generation to one side; only when all have built it do they switch,
// otherwise every one of them throws it away and the running config stays. SIGTERM
// turns /readyz 503 at once, tells every worker to drain within timeouts.shutdown,
// and exits once they all have.
import type { Logger } from 'pino'
import { buildAdmin, type AdminServer } from '../admin/server.js'
import { ConfigError, loadConfigFile, type LoadedConfig } from '../config/load.js'
import { watchConfig, type ConfigWatcher } from '../config/watch.js'
import { EdgeState } from '../edge/state.js'
import { GatewayMetrics } from '../metrics.js'
import { digest, restartOnly, type ReloadResult } from '../server.js'
import { ReloadLog } from '../stats/reload-log.js'
import type { UpstreamsView } from '../stats/snapshot.js'
import type { GatewayStats } from '../stats/types.js'
import { VERSION } from '../version.js'
import { IpcRoutes, type Endpoint } from './ipc.js'
import { labelProcessMetrics, mergeBackends, mergeMetrics, mergeStats } from './merge.js'
import { PrimaryHealth } from './primary-health.js'
import { KIND, type ConfigMessage, type Hello, type Ready, type WorkerStats } from './protocol.js'
import { SharedStores } from './shared-stores.js'
import { ConnectionCounts } from './connection-counts.js'
import { Supervisor, type Slot } from './supervisor.js'

/** A worker that has not built a generation in this long fails the reload. */
const BUILD_TIMEOUT_MS = 30_000
const ADMIN_TIMEOUT_MS = 2000
/** A worker that does not close its listener in this long is drained anyway. */
const STOP_ACCEPTING_TIMEOUT_MS = 5000

const messageOf = (l: LoadedConfig): ConfigMessage => ({ file: l.file, text: l.text, config: l.config })
const reasonOf = (r: PromiseRejectedResult): string => r.reason instanceof Error ? r.reason.message : String(r.reason)

export class Primary {
  readonly startedAt = new Date()
  /** The primary's own metrics (reloads, worker restarts, checked targets, its process): merged with the workers' at GET /metrics. */
  readonly metrics = new GatewayMetrics()
  private readonly routes = new IpcRoutes()
  private readonly supervisor: Supervisor
  private readonly health: PrimaryHealth
  private readonly shared: SharedStores
  /** security.connections: the one count of every worker's client connections. */
  readonly connections: ConnectionCounts
  /** The Redis link the run-time IP rules sync through, and the rules themselves (GET/PUT /ip-rules). */
  readonly edge: EdgeState
  private readonly reloads = new ReloadLog()
  private current: { id: number, loaded: LoadedConfig, loadedAt: Date }
  private admin: AdminServer | null = null
  private watcher: ConfigWatcher | null = null
  private reloading: Promise<unknown> = Promise.resolve()
  private stopping: Promise<void> | null = null
  private draining = false
  private ready = false
  lastReload: ReloadResult | null = null

  constructor (readonly file: string, initial: LoadedConfig, readonly logger: Logger, count: number) {
    this.current = { id: 1, loaded: initial, loadedAt: new Date() }
    this.supervisor = new Supervisor(count, this.routes, logger, this.metrics)
    this.shared = new SharedStores(() => count).serve(this.routes)
    this.connections = new ConnectionCounts(() => count)
    this.health = new PrimaryHealth(this.metrics, (verdict) => { this.broadcast(KIND.health, verdict) })
    this.edge = new EdgeState(logger, this.metrics)
    this.edge.ipRules.onChange = async (changes) => {
      const body = [...changes]
      await Promise.allSettled(this.supervisor.ready().map(async ({ endpoint }) => { await endpoint.request(KIND.ipRules, body) }))
    }
    this.routes
      .handle(KIND.hello, async (): Promise<Hello> => {
        await this.reloading // a worker starting during a reload starts on its outcome
        return { generation: this.current.id, loaded: messageOf(this.current.loaded), verdicts: this.health.verdicts(), ipRules: [...this.edge.ipRules.snapshot()] }
      })
      .listen<Ready>(KIND.ready, (ready, from) => { void this.workerReady(ready, from) })
      .handle<Array<string | number | null>, number[]>(KIND.connectionsAdmit, (calls, from) => this.connections.admit(from, calls))
      .listen<Array<string | null>>(KIND.connectionsRelease, (addresses, from) => { this.connections.release(from, addresses) })
      .listen<Array<string | number | null>>(KIND.connectionsReturn, (returns, from) => { this.connections.giveBack(from, returns) })
    // A worker's sockets die with it: so do the places it held.
    this.supervisor.on('exit', (_slot, endpoint) => { if (endpoint !== null) this.connections.drop(endpoint) })
  }

  get isReady (): boolean { return this.ready && !this.draining }

  get generation (): { id: number, loadedAt: Date, config: LoadedConfig['config'] } {
    return { id: this.current.id, loadedAt: this.current.loadedAt, config: this.current.loaded.config }
  }

  async start (): Promise<void> {
    const config = this.current.loaded.config
    this.edge.configure(config)
    this.edge.sweep()
    this.health.prepare(config)
    this.health.commit()
    this.metrics.collectProcessMetrics()
    try {
      await this.supervisor.start()
    } catch (err) {
      await this.supervisor.stop(1000)
      await this.closeBackground()
      throw err
    }
    this.admin = await buildAdmin(this, config.admin, { metrics: async () => await this.mergedMetrics() })
    await this.admin.listen()
    this.watcher = watchConfig(this.file, () => { void this.reload('file change') })
    this.ready = true
    this.logger.info({
      listen: this.listenAddress,
      admin: this.admin.address(),
      workers: this.supervisor.slots.map((s) => s.worker?.process.pid ?? null),
      generation: this.current.id,
      routes: config.routes.length
    }, 'turnpike started')
  }

  private listenAddress: Ready['listen'] | null = null

  private async workerReady (ready: Ready, from: Endpoint): Promise<void> {
    const slot = this.supervisor.slotOf(from)
    if (slot === undefined) return
    this.listenAddress ??= ready.listen
    // A reload between this worker's hello and now passed it by: bring it up to date.
    if (ready.digest !== digest(this.current.loaded.text)) {
      try {
        await from.request(KIND.prepare, messageOf(this.current.loaded), BUILD_TIMEOUT_MS)
        await from.request(KIND.commit, null)
      } catch (err) {
        this.logger.error({ worker: slot.id, err: String(err) }, 'a new worker could not build the running config; replacing it')
        slot.worker?.process.kill('SIGKILL')
        return
      }
    }
    this.supervisor.markReady(slot)
    this.logger.info({ worker: slot.id, workerPid: slot.worker?.process.pid }, 'worker ready')
  }

  private broadcast (kind: string, body: unknown): void {
    for (const slot of this.supervisor.slots) slot.endpoint?.cast(kind, body)
  }

  /** Every ready worker's answer to `kind` (a worker that fails to answer is left out). */
  private async askAll<T> (kind: string): Promise<Array<{ slot: Slot, answer: T }>> {
    const ready = this.supervisor.ready()
    const answers = await Promise.allSettled(ready.map(async ({ endpoint }) => await endpoint.request<T>(kind, null, ADMIN_TIMEOUT_MS)))
    return answers.flatMap((a, i) => a.status === 'fulfilled' ? [{ slot: ready[i]!.slot, answer: a.value }] : [])
  }

  async mergedMetrics (): Promise<{ contentType: string, text: string }> {
    const own = labelProcessMetrics(await this.metrics.registry.getMetricsAsJSON(), 'primary')
    const workers = await this.askAll<typeof own>(KIND.metrics)
    return await mergeMetrics([own, ...workers.map(({ slot, answer }) => labelProcessMetrics(answer, String(slot.id)))])
  }

  async backends (): Promise<UpstreamsView> {
    return mergeBackends((await this.askAll<UpstreamsView>(KIND.backends)).map((w) => w.answer))
  }

  upstreamsDown (): string[] {
    return Object.entries(this.current.loaded.config.upstreams)
      // A discovered upstream's targets are the workers' to check (primary-health.ts).
      .filter(([name, u]) => u.targets !== undefined && !u.targets.some((t) => this.health.healthy(name, new URL(t.url).origin)))
      .map(([name]) => name)
  }

  async snapshotStats (): Promise<GatewayStats> {
    const reports = await this.askAll<WorkerStats>(KIND.stats)
    return mergeStats({
      base: {
        version: VERSION,
        startedAt: this.startedAt.toISOString(),
        uptimeSeconds: Math.floor((Date.now() - this.startedAt.getTime()) / 1000),
        generation: this.current.id,
        ready: this.isReady,
        windowSeconds: reports[0]?.answer.stats.windowSeconds ?? 60,
        reloads: this.reloads.recent()
      },
      config: this.current.loaded.config,
      // Each worker's open connections: the primary's count also holds the places
      // set aside in the workers' blocks, which no connection holds yet.
      counted: reports.reduce((n, r) => n + r.answer.stats.connections.counted, 0),
      workers: this.supervisor.slots.map((s) => ({ id: s.id, pid: s.worker?.process.pid ?? null, up: s.up, restarts: s.restarts }))
    }, reports.map((r) => r.answer))
  }

  /** Re-reads the config file; reloads never overlap. */
  async reload (reason: string, force = false): Promise<ReloadResult> {
    const run = this.reloading.then(async () => await this.reloadNow(reason, force))
    this.reloading = run.catch(() => undefined)
    return await run
  }

  private fail (at: string, error: string, log: Record<string, unknown>, message: string): ReloadResult {
    this.metrics.configReloadsTotal.labels('failure').inc()
    this.logger.error(log, message)
    this.lastReload = { result: 'failure', at, generation: this.current.id, error }
    this.reloads.add(this.lastReload)
    return this.lastReload
  }

  private async reloadNow (reason: string, force: boolean): Promise<ReloadResult> {
    const at = new Date().toISOString()
    if (this.stopping !== null) return { result: 'unchanged', at, generation: this.current.id }
    let loaded: LoadedConfig
    try {
      loaded = await loadConfigFile(this.file)
    } catch (err) {
      const error = err instanceof ConfigError ? err.message : String(err)
      return this.fail(at, error, { reason, file: this.file, problems: err instanceof ConfigError ? err.problems : undefined },
        `config reload rejected, keeping generation ${this.current.id}:\n${error}`)
    }
    if (!force && digest(loaded.text) === digest(this.current.loaded.text)) return { result: 'unchanged', at, generation: this.current.id }

    // Phase one: every worker builds the new generation beside the running one.
    this.shared.beginReload()
    this.edge.configure(loaded.config)
    this.health.prepare(loaded.config)
    const workers = this.supervisor.ready()
    const message = messageOf(loaded)
    const built = await Promise.allSettled(workers.map(async ({ endpoint }) => await endpoint.request(KIND.prepare, message, BUILD_TIMEOUT_MS)))
    const failed = built.flatMap((r, i) => r.status === 'rejected' ? [`worker ${workers[i]!.slot.id}: ${reasonOf(r)}`] : [])
    if (failed.length > 0) {
      await Promise.allSettled(workers.map(async ({ endpoint }) => await endpoint.request(KIND.discard, null)))
      this.health.discard()
      this.edge.rollback()
      const error = failed.join('; ')
      return this.fail(at, error, { reason, failed }, `config reload failed on ${failed.length} of ${workers.length} workers; every worker keeps generation ${this.current.id}`)
    }
    // Phase two: all built it, so all switch.
    await Promise.allSettled(workers.map(async ({ endpoint }) => await endpoint.request(KIND.commit, null)))
    const previous = this.current.loaded.config
    this.current = { id: this.current.id + 1, loaded, loadedAt: new Date() }
    this.health.commit()
    this.edge.sweep()
    this.shared.sweep()
    this.logger.level = loaded.config.logging.level
    const restartRequired = restartOnly(previous, loaded.config)
    if (restartRequired.length > 0) this.logger.warn({ restartRequired }, 'these settings changed and need a restart to take effect')
    this.metrics.configReloadsTotal.labels('success').inc()
    this.lastReload = { result: 'success', at, generation: this.current.id, ...(restartRequired.length > 0 ? { restartRequired } : {}) }
    this.reloads.add(this.lastReload)
    this.logger.info({ reason, generation: this.current.id, routes: loaded.config.routes.length, workers: workers.length }, 'config reloaded')
    return this.lastReload
  }

  async shutdown (signal = 'shutdown'): Promise<void> {
    this.stopping ??= this.drain(signal)
    await this.stopping
  }

  private async drain (signal: string): Promise<void> {
    const budget = this.current.loaded.config.server.timeouts.shutdown
    this.draining = true
    this.logger.info({ signal, budgetMs: budget, workers: this.supervisor.ready().length }, 'draining')
    await this.reloading
    const stopped = this.supervisor.stop(budget + 5000)
    // Every worker's door first, and only then the drain: a worker that began to send
    // `Connection: close` while another still accepted would send its clients back
    // into the shared port's accept queue, which node:cluster resets when the last
    // worker closes it (ECONNRESET under load). Once all have closed it, reconnecting
    // clients are refused (ECONNREFUSED), as by a single process. Each worker's answer
    // comes after its close on the same channel, so the primary has closed the port.
    await Promise.allSettled(this.supervisor.slots.map(async (s) => await s.endpoint?.request(KIND.stopAccepting, null, STOP_ACCEPTING_TIMEOUT_MS)))
    await Promise.allSettled(this.supervisor.slots.map(async (s) => await s.endpoint?.request(KIND.drain, null)))
    await stopped
    await this.watcher?.close()
    await this.admin?.close()
    await this.closeBackground()
    this.logger.info({ signal }, 'turnpike stopped')
    await new Promise<void>((resolve) => { this.logger.flush(() => { resolve() }) })
  }

  private async closeBackground (): Promise<void> {
    this.health.close()
    this.shared.close()
    await this.edge.close()
    this.metrics.close()
  }
}
