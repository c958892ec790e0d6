// The data plane's Prometheus metrics, on a registry of the gateway's own (admin GET
// /metrics serves it). One GatewayMetrics belongs to one Gateway (or cluster Primary)
// and lives as long as it, outside any config generation, so counters survive reloads,
// two gateways in one process count apart, and a closed gateway's series go with it.
// Label children are cached per route so the hot path does no label hashing.
import client from '@platformatic/prom-client'
import { ScrapeCounts, type PendingCount } from './scrape-counts.js'
import type { TargetState } from './upstream/target.js'

const { Counter, Gauge, Histogram, Registry } = client

/** The `protocol` label: how the client spoke (gRPC is HTTP/2 with content-type application/grpc). */
export type RequestProtocol = 'http1' | 'h2' | 'grpc'

/** The label every request that matched no route shares (never a raw URL). */
export const NO_ROUTE_LABEL = '(none)'

const BUCKETS = Object.freeze([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
const BREAKER_VALUES = Object.freeze({ closed: 0, 'half-open': 1, open: 2 } as const)

type Cached<C> = (a: string, b?: string, c?: string) => C

/**
 * Label children cached by their joined label values, so a hot-path observation is one
 * Map lookup instead of prom-client hashing the labels every time.
 */
function childCache<C> (make: (a: string, b: string, c: string) => C): Cached<C> {
  const children = new Map<string, C>()
  // Fixed arity, no rest array: this runs for every request.
  return (a, b = '', c = '') => {
    const key = a + '\u0000' + b + '\u0000' + c
    let child = children.get(key)
    if (child === undefined) {
      child = make(a, b, c)
      children.set(key, child)
    }
    return child
  }
}

export class GatewayMetrics {
  readonly registry = new Registry()
  private processMetrics = false

  /** What turnpike_requests_total has counted since prom-client last collected it (scrape-counts.ts). */
  private readonly requestCounts = new ScrapeCounts<'route' | 'method' | 'status' | 'protocol' | 'upstream'>()
  /** The same for turnpike_mirror_requests_total. */
  private readonly mirrorCounts = new ScrapeCounts<'route' | 'result'>()

  readonly requestsTotal: client.Counter<'route' | 'method' | 'status' | 'protocol' | 'upstream'> = new Counter({
    name: 'turnpike_requests_total',
    help: 'Requests answered by the data plane (`upstream`: the one chosen, on split routes only)',
    labelNames: ['route', 'method', 'status', 'protocol', 'upstream'] as const,
    registers: [this.registry],
    collect: () => { this.requestCounts.flushInto(this.requestsTotal) }
  })

  readonly requestDuration = new Histogram({
    name: 'turnpike_request_duration_seconds',
    help: 'Time from request to the end of the response, in seconds',
    labelNames: ['route', 'method', 'protocol'] as const,
    buckets: [...BUCKETS],
    registers: [this.registry]
  })

  readonly activeConnections = new Gauge({
    name: 'turnpike_active_connections',
    help: 'Open client connections to the data plane',
    registers: [this.registry]
  })

  readonly configReloadsTotal = new Counter({
    name: 'turnpike_config_reloads_total',
    help: 'Config reloads by result',
    labelNames: ['result'] as const,
    registers: [this.registry]
  })

  readonly upstreamTargetHealthy = new Gauge({
    name: 'turnpike_upstream_target_healthy',
    // Merged over cluster workers: a target ejected on any of them reads 0.
    aggregator: 'min',
    help: '1 while a target passes its active health checks and is not ejected by outlier detection, else 0',
    labelNames: ['upstream', 'target'] as const,
    registers: [this.registry]
  })

  readonly upstreamRequestDuration = new Histogram({
    name: 'turnpike_upstream_request_duration_seconds',
    help: 'Time from sending an attempt to a target to its response headers (or failure), in seconds',
    labelNames: ['upstream', 'target'] as const,
    buckets: [...BUCKETS],
    registers: [this.registry]
  })

  readonly circuitBreakerState = new Gauge({
    name: 'turnpike_circuit_breaker_state',
    // Merged over cluster workers (each has its own breakers): the most open state.
    aggregator: 'max',
    help: 'Circuit breaker state per target: 0 closed, 1 half-open, 2 open',
    labelNames: ['upstream', 'target'] as const,
    registers: [this.registry]
  })

  readonly circuitBreakerTrips = new Counter({
    name: 'turnpike_circuit_breaker_trips_total',
    help: 'Times a target\'s circuit breaker opened (a failed half-open probe reopens it: one more trip)',
    labelNames: ['upstream', 'target'] as const,
    registers: [this.registry]
  })

  readonly retriesTotal = new Counter({
    name: 'turnpike_retries_total',
    help: 'Retried upstream attempts, by route',
    labelNames: ['route'] as const,
    registers: [this.registry]
  })

  readonly rateLimitedTotal = new Counter({
    name: 'turnpike_rate_limited_total',
    help: 'Requests refused with 429 by a rate limit, by route',
    labelNames: ['route'] as const,
    registers: [this.registry]
  })

  readonly blockedIpsTotal = new Counter({
    name: 'turnpike_blocked_ips_total',
    help: 'Requests refused by IP rules or DDoS blocking: deny (on the deny list), allow (not on a non-empty allow list), ddos',
    labelNames: ['reason'] as const,
    registers: [this.registry]
  })

  readonly cacheRequestsTotal = new Counter({
    name: 'turnpike_cache_requests_total',
    help: 'Requests on cached routes by result: hit, miss, bypass',
    labelNames: ['route', 'result'] as const,
    registers: [this.registry]
  })

  readonly redisErrorsTotal = new Counter({
    name: 'turnpike_redis_errors_total',
    help: 'Failed Redis calls (the gateway fell back to in-process state or served uncached)',
    registers: [this.registry]
  })

  readonly redisUp = new Gauge({
    name: 'turnpike_redis_up',
    help: 'Redis link: 1 while the gateway uses Redis, 0 while its breaker is open (in-process state); absent without redis.url',
    registers: [this.registry]
  })

  readonly websocketConnections = new Gauge({
    name: 'turnpike_websocket_connections',
    help: 'Open WebSocket tunnels, by route',
    labelNames: ['route'] as const,
    registers: [this.registry]
  })

  readonly workerRestartsTotal = new Counter({
    name: 'turnpike_worker_restarts_total',
    help: 'Cluster workers replaced after they died (server.workers > 1)',
    registers: [this.registry]
  })

  readonly connectionsRefusedTotal = new Counter({
    name: 'turnpike_connections_refused_total',
    help: 'Client connections refused by security.connections: per-ip (429), total (503)',
    labelNames: ['reason'] as const,
    registers: [this.registry]
  })

  // Upstream limits, discovery and mirroring.

  readonly upstreamPendingRequests = new Gauge({
    name: 'turnpike_upstream_pending_requests',
    help: 'Requests waiting for a free connection under an upstream\'s limits',
    labelNames: ['upstream'] as const,
    registers: [this.registry]
  })

  readonly upstreamOverloadedTotal = new Counter({
    name: 'turnpike_upstream_overloaded_total',
    help: 'Requests refused with 503 TURNPIKE_UPSTREAM_OVERLOADED (queue full or pendingTimeout passed)',
    labelNames: ['upstream'] as const,
    registers: [this.registry]
  })

  readonly discoveryTargets = new Gauge({
    name: 'turnpike_discovery_targets',
    help: 'Targets in the last good DNS answer of a discovered upstream',
    labelNames: ['upstream'] as const,
    registers: [this.registry]
  })

  readonly discoveryFailuresTotal = new Counter({
    name: 'turnpike_discovery_failures_total',
    help: 'DNS lookups of a discovered upstream that failed or came back empty (the last good answer was kept)',
    labelNames: ['upstream'] as const,
    registers: [this.registry]
  })

  readonly mirrorRequestsTotal: client.Counter<'route' | 'result'> = new Counter({
    name: 'turnpike_mirror_requests_total',
    help: 'Mirrored copies by result: sent (answered), failed (no answer), skipped (in-flight cap, body too large or chunked, no target)',
    labelNames: ['route', 'result'] as const,
    registers: [this.registry],
    collect: () => { this.mirrorCounts.flushInto(this.mirrorRequestsTotal) }
  })

  readonly internalErrorsTotal = new Counter({
    name: 'turnpike_internal_errors_total',
    help: 'Exceptions caught by the last line of defence (answered 500 instead of ending the process), by socket event',
    labelNames: ['event'] as const,
    registers: [this.registry]
  })

  readonly pluginErrorsTotal = new Counter({
    name: 'turnpike_plugin_errors_total',
    help: 'User plugin hooks that threw (each answered 500 TURNPIKE_PLUGIN_ERROR), by plugin and route',
    labelNames: ['plugin', 'route'] as const,
    registers: [this.registry]
  })

  private readonly requestDurationFor = childCache((route, method, protocol) => this.requestDuration.labels({ route, method, protocol }))
  private readonly requestsTotalFor = childCache((route, method, statusAndProtocol) => {
    const [status, protocol] = statusAndProtocol.split('\u0000') as [string, string]
    return this.requestCount(route, method, Number(status), protocol as RequestProtocol)
  })

  private readonly splitRequestsTotalFor = childCache((routeAndUpstream, method, statusAndProtocol) => {
    const [route, upstream] = routeAndUpstream.split('\u0000') as [string, string]
    const [status, protocol] = statusAndProtocol.split('\u0000') as [string, string]
    return this.requestCount(route, method, Number(status), protocol as RequestProtocol, upstream)
  })

  /** By the target's long-lived state: an identity look-up, no label string built per attempt. */
  private readonly upstreamDurations = new WeakMap<TargetState, ReturnType<typeof this.upstreamRequestDuration.labels>>()
  private readonly retriesFor = childCache((route) => this.retriesTotal.labels(route))
  private readonly rateLimitedFor = childCache((route) => this.rateLimitedTotal.labels(route))
  private readonly cacheRequestsFor = childCache((route, result) => this.cacheRequestsTotal.labels(route, result))
  private readonly websocketsFor = childCache((route) => this.websocketConnections.labels(route))
  private readonly pendingFor = childCache((upstream) => this.upstreamPendingRequests.labels(upstream))
  private readonly overloadedFor = childCache((upstream) => this.upstreamOverloadedTotal.labels(upstream))
  private readonly pluginErrorsFor = childCache((plugin, route) => this.pluginErrorsTotal.labels(plugin, route))
  private readonly connectionsRefusedFor = {
    'per-ip': this.connectionsRefusedTotal.labels('per-ip'),
    total: this.connectionsRefusedTotal.labels('total')
  } as const

  constructor () {
    // These series exist from the start, so increase() sees the first event too.
    this.configReloadsTotal.labels('success').inc(0)
    this.configReloadsTotal.labels('failure').inc(0)
    this.redisUp.remove()
    this.workerRestartsTotal.inc(0)
    this.connectionsRefusedFor['per-ip'].inc(0)
    this.connectionsRefusedFor.total.inc(0)
  }

  /**
   * Adds prom-client's process_* and nodejs_* metrics to this registry, once (for the
   * process that serves or reports /metrics). prom-client offers no way to stop their
   * collectors; they read the process, so they cost nothing per request.
   */
  collectProcessMetrics (): void {
    if (this.processMetrics) return
    this.processMetrics = true
    client.collectDefaultMetrics({ register: this.registry })
  }

  /** The gateway is gone: its series go with it (nothing else holds this registry). */
  close (): void {
    this.registry.clear()
  }

  /** Everything on this registry, as admin GET /metrics answers it. */
  async exposition (): Promise<{ contentType: string, text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() }
  }

  /** Counts one finished request; `seconds` is its duration; `upstream` on split routes; `protocol` how the client spoke. */
  observeRequest (route: string, method: string, status: number, seconds: number, upstream?: string, protocol: RequestProtocol = 'http1'): void {
    this.requestDurationFor(route, method, protocol).observe(seconds)
    if (upstream === undefined) this.requestsTotalFor(route, method, status + '\u0000' + protocol).pending++
    else this.splitRequestsTotalFor(route + '\u0000' + upstream, method, status + '\u0000' + protocol).pending++
  }

  /** A series of turnpike_requests_total that a caller keeps and adds to (`.pending++`) itself; `upstream` on split routes. */
  requestCount (route: string, method: string, status: number, protocol: RequestProtocol, upstream?: string): PendingCount {
    return this.requestCounts.of(`${route}\u0000${method}\u0000${status}\u0000${protocol}\u0000${upstream ?? ''}`,
      () => upstream === undefined
        ? { route, method, status: String(status), protocol }
        : { route, method, status: String(status), protocol, upstream })
  }

  /** Sets a target's health gauge; undefined removes the series (the target is gone). */
  setTargetHealthy (upstream: string, target: string, healthy: boolean | undefined): void {
    if (healthy === undefined) this.upstreamTargetHealthy.remove(upstream, target)
    else this.upstreamTargetHealthy.labels(upstream, target).set(healthy ? 1 : 0)
  }

  /** Observes one attempt at a target (every retry counts on its own). */
  observeUpstream (target: TargetState, seconds: number): void {
    let child = this.upstreamDurations.get(target)
    if (child === undefined) {
      child = this.upstreamRequestDuration.labels(target.upstream, target.origin)
      this.upstreamDurations.set(target, child)
    }
    child.observe(seconds)
  }

  /** Sets a breaker's gauge (on state-change events, not per request); undefined removes it. */
  setBreakerState (upstream: string, target: string, state: keyof typeof BREAKER_VALUES | undefined): void {
    if (state === undefined) this.circuitBreakerState.remove(upstream, target)
    else this.circuitBreakerState.labels(upstream, target).set(BREAKER_VALUES[state])
  }

  countBreakerTrip (upstream: string, target: string): void {
    this.circuitBreakerTrips.labels(upstream, target).inc()
  }

  countRetry (route: string): void {
    this.retriesFor(route).inc()
  }

  countRateLimited (route: string): void {
    this.rateLimitedFor(route).inc()
  }

  countBlockedIp (reason: 'deny' | 'allow' | 'ddos'): void {
    this.blockedIpsTotal.labels(reason).inc()
  }

  countCacheRequest (route: string, result: 'hit' | 'miss' | 'bypass'): void {
    this.cacheRequestsFor(route, result).inc()
  }

  countRedisError (): void {
    this.redisErrorsTotal.inc()
  }

  /** The running link's breaker state; null when no Redis is configured (the series goes away). */
  setRedisUp (up: boolean | null): void {
    if (up === null) this.redisUp.remove()
    else this.redisUp.set(up ? 1 : 0)
  }

  /** Counts one open tunnel; call the returned function once when it closes. */
  openWebSocket (route: string): () => void {
    const gauge = this.websocketsFor(route)
    gauge.inc()
    return () => { gauge.dec() }
  }

  countConnectionRefused (reason: 'per-ip' | 'total'): void {
    this.connectionsRefusedFor[reason].inc()
  }

  /** One more (+1) or one fewer (-1) request waiting on an upstream's limits. */
  addPending (upstream: string, delta: 1 | -1): void {
    this.pendingFor(upstream).inc(delta)
  }

  countOverloaded (upstream: string): void {
    this.overloadedFor(upstream).inc()
  }

  /** The size of a discovered upstream's answer; undefined removes the series (the upstream is gone). */
  setDiscoveryTargets (upstream: string, count: number | undefined): void {
    if (count === undefined) this.discoveryTargets.remove(upstream)
    else this.discoveryTargets.labels(upstream).set(count)
  }

  countDiscoveryFailure (upstream: string): void {
    this.discoveryFailuresTotal.labels(upstream).inc()
  }

  /** A series of turnpike_mirror_requests_total that a mirror keeps and adds to (`.pending++`) itself. */
  mirrorCount (route: string, result: 'sent' | 'failed' | 'skipped'): PendingCount {
    return this.mirrorCounts.of(`${route}\u0000${result}`, () => ({ route, result }))
  }

  countInternalError (event: string): void {
    this.internalErrorsTotal.labels(event).inc()
  }

  countPluginError (plugin: string, route: string): void {
    this.pluginErrorsFor(plugin, route).inc()
  }
}
