// The long-lived gateway process: the data-plane listener, the admin server, the
// config watcher, and the current config generation. A reload builds the next
// generation to one side and swaps one reference; a shutdown drains.
import { createHash } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net'
import type { Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { buildAdmin, type AdminServer } from './admin/server.js'
import { buildApp } from './app.js'
import { ConfigError, parseConfigText, readConfigText, type LoadedConfig } from './config/load.js'
import type { GatewayConfig } from './config/schema.js'
import { watchConfig, type ConfigWatcher } from './config/watch.js'
import { Generation } from './generation.js'
import { afterEarlierResponses } from './edge/in-turn.js'
import { LastDefence } from './edge/last-defence.js'
import { applyTimeouts, createListener, type RawAnswerLog } from './listener.js'
import { GatewayMetrics, NO_ROUTE_LABEL } from './metrics.js'
import { plainAddress } from './proxy/headers.js'
import { UPGRADE_HEAD } from './proxy/websocket.js'
import { TargetRegistry } from './upstream/registry.js'
import type { RemoteVerdicts } from './upstream/health/health-registry.js'
import { EdgeState, type SharedEdge } from './edge/state.js'
import { ProcessTracing } from './tracing/process-tracing.js'
import { StatsCollector } from './stats/collector.js'
import { buildStats, describeUpstreams, type UpstreamsView } from './stats/snapshot.js'
import type { GatewayStats } from './stats/types.js'
import { ConnectionGate } from './edge/connection-gate.js'
import type { ConnectionLedger } from './edge/connection-ledger.js'
import { listenError } from './start-error.js'
import { ServerTls, type FilesOutcome } from './tls/server-tls.js'
import type { Server as TlsServer } from 'node:tls'
import { Http2Front } from './http2/front.js'
import { requireUserPlugins, withUserPlugins } from './user-plugins/check.js'
import { userPluginExtension } from './user-plugins/register.js'
import type { LineSink } from './log-sink.js'

export interface ReloadResult {
  readonly result: 'success' | 'failure' | 'unchanged'
  readonly at: string
  readonly generation: number
  readonly error?: string
  /** Settings that changed but only take effect after a restart. */
  readonly restartRequired?: string[]
  /** Set when the watched TLS certificate files changed rather than the config file. */
  readonly source?: 'certificates'
}

/** Listener settings a reload cannot change on a running process. */
export function restartOnly (a: GatewayConfig, b: GatewayConfig): string[] {
  const pick = (c: GatewayConfig): Record<string, unknown> => ({
    'server.host': c.server.host,
    'server.port': c.server.port,
    'server.tls': c.server.tls,
    'server.http2': c.server.http2,
    'server.maxHeaderSize': c.server.maxHeaderSize,
    'server.maxHeaderCount': c.server.maxHeaderCount,
    'server.workers': c.server.workers,
    'admin.host': c.admin.host,
    'admin.port': c.admin.port,
    'logging.format': c.logging.format
  })
  const before = pick(a)
  const after = pick(b)
  return Object.keys(before).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
}

export const digest = (text: string): string => createHash('sha256').update(text).digest('hex')

/** How this process takes part in the gateway: alone (the defaults), or as one cluster worker. */
export interface GatewayOptions {
  /** False in a cluster worker: the primary runs the admin server. */
  readonly admin?: boolean
  /** Set in a cluster worker: active-check verdicts come from the primary, which runs every check once. */
  readonly remoteHealth?: RemoteVerdicts
  /** Set in a cluster worker: rate limits, DDoS blocks and IP rules shared through the primary. */
  readonly shared?: SharedEdge
  /** Set in a cluster worker: the connection count is the primary's, so each limit is one for the gateway. */
  readonly connectionLedger?: ConnectionLedger
  /** The id of the first generation (a cluster worker numbers its generations as its primary does). */
  readonly firstGeneration?: number
  /** Where `logger` writes when it is the gateway's own (createLogging): the access log writes there directly. */
  readonly logSink?: LineSink | null
}

/** Emits 'reload' with each ReloadResult of success or failure (for tests and dashboards). */
export class Gateway extends EventEmitter implements RawAnswerLog {
  readonly startedAt = new Date()
  /** This gateway's Prometheus registry and metrics (admin GET /metrics): they outlive generations, not the gateway. */
  readonly metrics = new GatewayMetrics()
  readonly registry: TargetRegistry
  /** Redis and the policies' state that outlives a generation (rate-limit counters, IP rules, cache). */
  readonly edge: EdgeState
  /** The tracer provider each generation gets; replaced on reload when `tracing` changes. */
  private readonly tracing: ProcessTracing
  /** Request counts and latency over the last minute, and recent reloads, for admin GET /stats. */
  readonly stats = new StatsCollector()
  /** security.connections: counts client connections across generations, refuses those over a limit. */
  readonly connections: ConnectionGate
  private current!: Generation
  /** Generations with requests still inside (the current one and retired ones). */
  private readonly live = new Set<Generation>()
  private generations = 0
  private listener!: Server
  /** server.tls: the certificates served, by SNI, and the watch on their files. */
  private tls: ServerTls | null = null
  /** server.http2: the HTTP/2 sessions beside HTTP/1.1 on the data-plane port. */
  private h2: Http2Front | null = null
  private admin: AdminServer | null = null
  private watcher: ConfigWatcher | null = null
  private readonly sockets = new Set<Socket>()
  private readonly socketsGone: Array<() => void> = []
  /** Turns an exception in a request's handling into a 500 for that request, not an exit. */
  private readonly defence: LastDefence
  private reloading: Promise<ReloadResult> = Promise.resolve({ result: 'unchanged', at: '', generation: 0 })
  private stopping: Promise<void> | null = null
  draining = false
  private ready = false
  private lastDigest = ''
  /** The digest of the last text a reload rejected: the watcher does not validate it again. */
  private rejectedDigest = ''
  lastReload: ReloadResult | null = null

  constructor (readonly file: string, private readonly initial: LoadedConfig, readonly logger: Logger, private readonly options: GatewayOptions = {}) {
    super()
    this.registry = new TargetRegistry(this.metrics, options.remoteHealth ?? null, logger)
    this.generations = (options.firstGeneration ?? 1) - 1
    this.edge = new EdgeState(logger, this.metrics, options.shared ?? null)
    this.connections = new ConnectionGate(() => this.current.config, this.edge.ipRules, logger, this.metrics, options.connectionLedger)
    this.tracing = new ProcessTracing(logger)
    this.defence = new LastDefence(logger, this.metrics)
    this.on('reload', (result: ReloadResult) => { this.stats.reloads.add(result) })
  }

  get generation (): Generation { return this.current }
  get isReady (): boolean { return this.ready && !this.draining }
  get dataAddress (): AddressInfo { return this.listener.address() as AddressInfo }
  get adminAddress (): AddressInfo {
    if (this.admin === null) throw new Error('this process runs no admin server (a cluster worker)')
    return this.admin.address()
  }

  async backends (): Promise<UpstreamsView> {
    return describeUpstreams(this.current.built.upstreams.all())
  }

  upstreamsDown (): string[] {
    return this.current.built.upstreams.all()
      .filter((u) => !u.targets.some((t) => t.state.available))
      .map((u) => u.name)
  }

  async snapshotStats (): Promise<GatewayStats> {
    return await buildStats(this)
  }

  async start (options: { watch?: boolean, watchCertificates?: boolean } = {}): Promise<void> {
    const config = this.initial.config
    this.current = await this.build(this.initial)
    this.tracing.commit(Promise.resolve())
    this.edge.sweep()
    this.lastDigest = digest(this.initial.text)
    if (config.server.tls !== undefined) {
      this.tls = new ServerTls(config.server.tls, this.logger)
      this.tls.on('files', (outcome) => { this.certificatesRead(outcome) })
    }
    const defence = this.defence
    const tlsOptions = this.tls?.serverOptions()
    // With http2 the TLS handshake offers h2 first; a client without it gets http/1.1.
    if (tlsOptions !== undefined && config.server.http2) tlsOptions.ALPNProtocols = ['h2', 'http/1.1']
    this.listener = createListener(config.server, defence, this, tlsOptions)
    this.tls?.attach(this.listener as unknown as TlsServer)
    const onRequest = defence.guard('request', (req, res) => {
      if (this.draining) res.shouldKeepAlive = false // finish this one, then close
      this.current.handle(req, res)
    })
    if (config.server.http2) {
      // An HTTP/2 stream goes through the same door as an HTTP/1.1 request.
      this.h2 = new Http2Front(config.server, this.logger, onRequest as unknown as ConstructorParameters<typeof Http2Front>[2])
      this.h2.attach(this.listener, tlsOptions !== undefined)
    }
    this.connections.guard(this.listener)
    this.listener.on('connection', (socket: Socket) => this.track(socket))
    this.listener.on('request', onRequest)
    this.listener.on('upgrade', (req, socket: Socket, head: Buffer) => {
      // Node took its own error handler off this socket when it emitted 'upgrade';
      // without one, a client resetting mid-handshake would crash the process.
      socket.on('error', () => { socket.destroy() })
      ;(req as { [UPGRADE_HEAD]?: Buffer })[UPGRADE_HEAD] = head
      // An upgrade pipelined behind other requests waits for their answers (in-turn.ts).
      afterEarlierResponses(socket, () => {
        defence.run('upgrade', socket, null, () => { this.current.handleUpgrade(req, socket) })
      })
    })
    // A cluster worker's process metrics go to its primary (worker.ts), which labels them.
    this.metrics.collectProcessMetrics()
    if (this.options.admin !== false) this.admin = await buildAdmin(this, config.admin, { metrics: async () => await this.metrics.exposition() })
    try {
      await new Promise<void>((resolve, reject) => {
        const failed = (err: unknown): void => { reject(listenError(err, 'server.port', config.server.host, config.server.port)) }
        this.listener.once('error', failed)
        this.listener.listen(config.server.port, config.server.host, () => {
          this.listener.off('error', failed)
          resolve()
        })
      })
      await this.admin?.listen().catch((err: unknown) => { throw listenError(err, 'admin.port', config.admin.host, config.admin.port) })
    } catch (err) {
      await this.abandon()
      throw err
    }
    if (options.watch !== false) {
      this.watcher = watchConfig(this.file, () => { void this.reload('file change') })
      await this.watcher.ready
    }
    // A cluster worker leaves the config file to the primary but serves TLS itself: it
    // watches the certificate files of its own listener.
    if (options.watchCertificates ?? options.watch !== false) await this.tls?.watch()
    this.ready = true
    if (this.admin === null) this.logger.info({ listen: this.dataAddress, generation: this.current.id }, 'worker started')
    else this.logger.info({ listen: this.dataAddress, admin: this.adminAddress, generation: this.current.id, routes: config.routes.length }, 'turnpike started')
  }

  /** Undoes a start that failed at its listeners, so nothing is left running. */
  private async abandon (): Promise<void> {
    if (this.listener.listening) await new Promise<void>((resolve) => { this.listener.close(() => { resolve() }) })
    await this.admin?.close()
    await Promise.all([...this.live].map(async (g) => await g.dispose()))
    await this.tracing.shutdown()
    await this.registry.closeAll()
    await this.edge.close()
    await this.tls?.close()
    this.metrics.close()
  }

  /**
   * An answer the listener wrote on the socket itself (a parse error, a CONNECT):
   * counted and logged like every other answer, under the no-route label.
   */
  answered (socket: Duplex, method: string, status: number, code: string): void {
    this.metrics.observeRequest(NO_ROUTE_LABEL, method, status, 0)
    this.stats.record(NO_ROUTE_LABEL, status, 0)
    if (!this.current.config.logging.accessLog) return
    const clientIp = plainAddress((socket as Socket).remoteAddress)
    this.logger.info({ method, route: NO_ROUTE_LABEL, status, code, durationMs: 0, bytes: 0, clientIp }, 'access')
  }

  /** A change of the TLS files is a reload of its own: counted, shown in /config, and emitted. */
  private certificatesRead (outcome: FilesOutcome): void {
    if (outcome.result === 'unchanged') return
    this.metrics.configReloadsTotal.labels(outcome.result).inc()
    const at = new Date().toISOString()
    this.lastReload = outcome.result === 'failure'
      ? { result: 'failure', at, generation: this.current.id, error: outcome.error, source: 'certificates' }
      : { result: 'success', at, generation: this.current.id, source: 'certificates' }
    this.emit('reload', this.lastReload)
  }

  private track (socket: Socket): void {
    this.sockets.add(socket)
    this.metrics.activeConnections.inc()
    socket.once('close', () => {
      this.sockets.delete(socket)
      this.metrics.activeConnections.dec()
      if (this.sockets.size === 0) for (const wake of this.socketsGone.splice(0)) wake()
    })
  }

  /** Resolves once no client connection is open. */
  private async connectionsClosed (): Promise<void> {
    if (this.sockets.size === 0) return
    await new Promise<void>((resolve) => this.socketsGone.push(resolve))
  }

  private async build (loaded: LoadedConfig): Promise<Generation> {
    this.edge.configure(loaded.config)
    let built: Awaited<ReturnType<typeof buildApp>>
    try {
      // A cluster worker gets the config without code: it loads the plugins itself.
      const plugins = loaded.plugins ?? await requireUserPlugins(loaded)
      const tracing = await this.tracing.configure(loaded.config.tracing)
      built = await buildApp({ config: loaded.config, registry: this.registry, logger: this.logger, logSink: this.options.logSink, lifecycle: this, edge: this.edge, metrics: this.metrics, stats: this.stats, tracing, routeExtensions: userPluginExtension(plugins, (plugin, route) => { this.metrics.countPluginError(plugin, route) }) })
    } catch (err) {
      this.edge.rollback()
      this.tracing.rollback()
      throw err
    }
    for (const s of built.table.shadowed) {
      this.logger.warn({ route: s.route, method: s.method, pattern: s.pattern, by: s.by }, 'route is shadowed by an earlier one')
    }
    const generation = new Generation(++this.generations, loaded, built, () => { this.live.delete(generation) })
    this.live.add(generation)
    return generation
  }

  /** Re-reads the config file; reloads never overlap. */
  async reload (reason: string, force = false): Promise<ReloadResult> {
    this.reloading = this.reloading.then(async () => await this.reloadNow(reason, force))
    return await this.reloading
  }

  private async reloadNow (reason: string, force: boolean): Promise<ReloadResult> {
    const at = new Date().toISOString()
    if (this.stopping !== null) return { result: 'unchanged', at, generation: this.current.id }
    // SIGHUP and POST /reload also re-read the certificate files, where watching cannot (NFS).
    if (force) this.tls?.reread()
    let loaded: LoadedConfig
    let textDigest = ''
    try {
      const text = await readConfigText(this.file)
      textDigest = digest(text)
      // A file event that left the text as it was (a touch, a rewrite of the same bytes,
      // an edit already rejected) is not worth a validation, nor another log line.
      if (!force && (textDigest === this.lastDigest || textDigest === this.rejectedDigest)) {
        return { result: 'unchanged', at, generation: this.current.id }
      }
      loaded = await withUserPlugins(parseConfigText(text, this.file))
    } catch (err) {
      const error = err instanceof ConfigError ? err.message : String(err)
      this.rejectedDigest = textDigest
      this.metrics.configReloadsTotal.labels('failure').inc()
      this.logger.error({ reason, file: this.file, problems: err instanceof ConfigError ? err.problems : undefined }, `config reload rejected, keeping generation ${this.current.id}:\n${error}`)
      this.lastReload = { result: 'failure', at, generation: this.current.id, error }
      this.emit('reload', this.lastReload)
      return this.lastReload
    }
    let next: Generation
    try {
      next = await this.prepare(loaded)
    } catch (err) {
      this.rejectedDigest = textDigest
      this.metrics.configReloadsTotal.labels('failure').inc()
      this.logger.error({ err, reason }, 'config reload failed while building the new generation')
      this.lastReload = { result: 'failure', at, generation: this.current.id, error: String(err) }
      this.emit('reload', this.lastReload)
      return this.lastReload
    }
    this.swap(next)
    const restartRequired = restartOnly(this.initial.config, loaded.config)
    if (restartRequired.length > 0) this.logger.warn({ restartRequired }, 'these settings changed and need a restart to take effect')
    this.metrics.configReloadsTotal.labels('success').inc()
    this.lastReload = { result: 'success', at, generation: next.id, ...(restartRequired.length > 0 ? { restartRequired } : {}) }
    this.logger.info({ reason, generation: next.id, routes: loaded.config.routes.length }, 'config reloaded')
    this.emit('reload', this.lastReload)
    return this.lastReload
  }

  /**
   * Builds the next generation to one side (it takes no request yet). A cluster
   * worker builds on the primary's word and swaps on its second word, so that every
   * worker switches or none does; a single process builds and swaps at once.
   */
  async prepare (loaded: LoadedConfig): Promise<Generation> {
    if (this.stopping !== null) throw new Error('shutting down')
    return await this.build(loaded)
  }

  /** Makes a prepared generation current: new requests from here on see its config. */
  swap (next: Generation): void {
    const previous = this.current
    this.current = next
    this.lastDigest = digest(next.loaded.text)
    this.rejectedDigest = ''
    previous.retire()
    const older = [...this.live].filter((g) => g !== next)
    this.tracing.commit(Promise.all(older.map(async (g) => { await g.idle() })))
    this.edge.sweep()
    applyTimeouts(this.listener, next.config.server)
    this.h2?.configure(next.config.server)
    this.logger.level = next.config.logging.level
  }

  /** A prepared generation that will not be used (another worker could not build it): undone. */
  async discard (next: Generation): Promise<void> {
    this.edge.rollback()
    this.tracing.rollback()
    this.generations--
    await next.dispose()
  }

  /**
   * Stops accepting connections, nothing more: a cluster drain closes every worker's
   * door before any worker begins to send `Connection: close`, so that no client
   * reconnects into the primary's accept queue just before the last door closes (it
   * would be reset). shutdown() closes it too (again is harmless).
   */
  stopAccepting (): void {
    NetServer.prototype.close.call(this.listener)
  }

  /**
   * Graceful shutdown: not ready at once, stop accepting, let keep-alive clients send
   * what they already had on the wire, close idle connections, drain in-flight
   * requests and tunnels within timeouts.shutdown, then stop everything else.
   */
  async shutdown (signal = 'shutdown'): Promise<void> {
    this.stopping ??= this.drain(signal)
    await this.stopping
  }

  private async drain (signal: string): Promise<void> {
    const budget = this.current.config.server.timeouts.shutdown
    this.draining = true
    this.logger.info({ signal, budgetMs: budget, inFlight: this.current.active }, 'draining')
    // net.Server#close stops accepting without http.Server#close's immediate
    // closeIdleConnections(), which would reset requests already on the wire.
    NetServer.prototype.close.call(this.listener)
    this.h2?.goaway() // GOAWAY: open streams finish, no new ones
    let expired = false
    const deadline = new Promise<void>((resolve) => setTimeout(() => { expired = true; resolve() }, budget).unref())
    // A keep-alive connection idle at this moment may have its client's next request
    // already on the wire: the grace lets it arrive and be answered with
    // `Connection: close`. Nothing in flight is no sign that no request is coming:
    // closing such a connection then resets that request (ECONNRESET, a burst of them
    // under load). Only connections still idle after the grace are closed.
    let graceTimer: NodeJS.Timeout | undefined
    const grace = new Promise<void>((resolve) => { graceTimer = setTimeout(resolve, Math.min(1000, budget / 4)) })
    await Promise.race([this.connectionsClosed(), grace, deadline])
    clearTimeout(graceTimer)
    this.listener.closeIdleConnections()
    await Promise.race([Promise.all([...this.live].map(async (g) => await g.idle())), deadline])
    if (expired) this.logger.warn({ inFlight: this.current.active }, 'shutdown budget spent; closing what is left')
    for (const socket of this.sockets) socket.destroy()
    await this.watcher?.close()
    await this.tls?.close()
    await this.admin?.close()
    await Promise.all([...this.live].map(async (g) => await g.dispose()))
    await this.tracing.shutdown() // after the generations: every span has ended
    await this.registry.closeAll()
    await this.edge.close()
    this.metrics.close()
    this.logger.info({ signal }, 'turnpike stopped')
    await new Promise<void>((resolve) => { this.logger.flush(() => { resolve() }) })
  }
}
