// The data plane's Prometheus metrics, created once per process on the
// prom-client registry that fastify-metrics exposes at admin GET /metrics. They live
// outside any config generation so counters survive reloads. Label children are
// cached per route so the hot path does no label hashing.
import client from '@platformatic/prom-client'

const { Counter, Gauge, Histogram, register } = client

function once<T> (name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make()
}

export const requestsTotal = once('turnpike_requests_total', () => new Counter({
  name: 'turnpike_requests_total',
  help: 'Requests answered by the data plane (`upstream`: the one chosen, on split routes only)',
  labelNames: ['route', 'method', 'status', 'upstream'] as const
}))

export const requestDuration = once('turnpike_request_duration_seconds', () => new Histogram({
  name: 'turnpike_request_duration_seconds',
  help: 'Time from request to the end of the response, in seconds',
  labelNames: ['route', 'method'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
}))

export const activeConnections = once('turnpike_active_connections', () => new Gauge({
  name: 'turnpike_active_connections',
  help: 'Open client connections to the data plane'
}))

export const configReloadsTotal = once('turnpike_config_reloads_total', () => {
  const counter = new Counter({
    name: 'turnpike_config_reloads_total',
    help: 'Config reloads by result',
    labelNames: ['result'] as const
  })
  // Both series exist from the start, so increase() sees the first failure too.
  counter.labels('success').inc(0)
  counter.labels('failure').inc(0)
  return counter
})

/** The label every request that matched no route shares (never a raw URL). */
export const NO_ROUTE_LABEL = '(none)'

/**
 * Label children cached by their joined label values, so a hot-path observation is one
 * Map lookup instead of prom-client hashing the labels every time.
 */
function childCache<C> (make: (a: string, b: string, c: string) => C): (a: string, b?: string, c?: string) => C {
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

const requestDurationFor = childCache((route, method) => requestDuration.labels(route, method))
const requestsTotalFor = childCache((route, method, status) => requestsTotal.labels({ route, method, status }))

const splitRequestsTotalFor = childCache((routeAndUpstream, method, status) => {
  const [route, upstream] = routeAndUpstream.split('\u0000') as [string, string]
  return requestsTotal.labels({ route, method, status, upstream })
})

/** Counts one finished request; `seconds` is its duration; `upstream` on split routes. */
export function observeRequest (route: string, method: string, status: number, seconds: number, upstream?: string): void {
  requestDurationFor(route, method).observe(seconds)
  if (upstream === undefined) requestsTotalFor(route, method, String(status)).inc()
  else splitRequestsTotalFor(route + '\u0000' + upstream, method, String(status)).inc()
}

export const upstreamTargetHealthy = once('turnpike_upstream_target_healthy', () => new Gauge({
  name: 'turnpike_upstream_target_healthy',
  // Merged over cluster workers: a target ejected on any of them reads 0.
  aggregator: 'min',
  help: '1 while a target passes its active health checks and is not ejected by outlier detection, else 0',
  labelNames: ['upstream', 'target'] as const
}))

/** Sets a target's health gauge; undefined removes the series (the target is gone). */
export function setTargetHealthy (upstream: string, target: string, healthy: boolean | undefined): void {
  if (healthy === undefined) upstreamTargetHealthy.remove(upstream, target)
  else upstreamTargetHealthy.labels(upstream, target).set(healthy ? 1 : 0)
}

export const upstreamRequestDuration = once('turnpike_upstream_request_duration_seconds', () => new Histogram({
  name: 'turnpike_upstream_request_duration_seconds',
  help: 'Time from sending an attempt to a target to its response headers (or failure), in seconds',
  labelNames: ['upstream', 'target'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
}))

const upstreamDurationFor = childCache((upstream, target) => upstreamRequestDuration.labels(upstream, target))

/** Observes one attempt at a target (every retry counts on its own). */
export function observeUpstream (upstream: string, target: string, seconds: number): void {
  upstreamDurationFor(upstream, target).observe(seconds)
}

export const circuitBreakerState = once('turnpike_circuit_breaker_state', () => new Gauge({
  name: 'turnpike_circuit_breaker_state',
  // Merged over cluster workers (each has its own breakers): the most open state.
  aggregator: 'max',
  help: 'Circuit breaker state per target: 0 closed, 1 half-open, 2 open',
  labelNames: ['upstream', 'target'] as const
}))

export const circuitBreakerTrips = once('turnpike_circuit_breaker_trips_total', () => new Counter({
  name: 'turnpike_circuit_breaker_trips_total',
  help: 'Times a target\'s circuit breaker opened (a failed half-open probe reopens it: one more trip)',
  labelNames: ['upstream', 'target'] as const
}))

const BREAKER_VALUES = { closed: 0, 'half-open': 1, open: 2 } as const

/** Sets a breaker's gauge (on state-change events, not per request); undefined removes it. */
export function setBreakerState (upstream: string, target: string, state: keyof typeof BREAKER_VALUES | undefined): void {
  if (state === undefined) circuitBreakerState.remove(upstream, target)
  else circuitBreakerState.labels(upstream, target).set(BREAKER_VALUES[state])
}

export function countBreakerTrip (upstream: string, target: string): void {
  circuitBreakerTrips.labels(upstream, target).inc()
}

export const retriesTotal = once('turnpike_retries_total', () => new Counter({
  name: 'turnpike_retries_total',
  help: 'Retried upstream attempts, by route',
  labelNames: ['route'] as const
}))

const retriesFor = childCache((route) => retriesTotal.labels(route))

export function countRetry (route: string): void {
  retriesFor(route).inc()
}

export const rateLimitedTotal = once('turnpike_rate_limited_total', () => new Counter({
  name: 'turnpike_rate_limited_total',
  help: 'Requests refused with 429 by a rate limit, by route',
  labelNames: ['route'] as const
}))

const rateLimitedFor = childCache((route) => rateLimitedTotal.labels(route))

export function countRateLimited (route: string): void {
  rateLimitedFor(route).inc()
}

export const blockedIpsTotal = once('turnpike_blocked_ips_total', () => new Counter({
  name: 'turnpike_blocked_ips_total',
  help: 'Requests refused by IP rules or DDoS blocking: deny (on the deny list), allow (not on a non-empty allow list), ddos',
  labelNames: ['reason'] as const
}))

export function countBlockedIp (reason: 'deny' | 'allow' | 'ddos'): void {
  blockedIpsTotal.labels(reason).inc()
}

export const cacheRequestsTotal = once('turnpike_cache_requests_total', () => new Counter({
  name: 'turnpike_cache_requests_total',
  help: 'Requests on cached routes by result: hit, miss, bypass',
  labelNames: ['route', 'result'] as const
}))

const cacheRequestsFor = childCache((route, result) => cacheRequestsTotal.labels(route, result))

export function countCacheRequest (route: string, result: 'hit' | 'miss' | 'bypass'): void {
  cacheRequestsFor(route, result).inc()
}

export const redisErrorsTotal = once('turnpike_redis_errors_total', () => new Counter({
  name: 'turnpike_redis_errors_total',
  help: 'Failed Redis calls (the gateway fell back to in-process state or served uncached)'
}))

export function countRedisError (): void {
  redisErrorsTotal.inc()
}

export const redisUp = once('turnpike_redis_up', () => {
  const gauge = new Gauge({
    name: 'turnpike_redis_up',
    help: 'Redis link: 1 while the gateway uses Redis, 0 while its breaker is open (in-process state); absent without redis.url'
  })
  gauge.remove()
  return gauge
})

/** The running link's breaker state; null when no Redis is configured (the series goes away). */
export function setRedisUp (up: boolean | null): void {
  if (up === null) redisUp.remove()
  else redisUp.set(up ? 1 : 0)
}

export const websocketConnections = once('turnpike_websocket_connections', () => new Gauge({
  name: 'turnpike_websocket_connections',
  help: 'Open WebSocket tunnels, by route',
  labelNames: ['route'] as const
}))

const websocketsFor = childCache((route) => websocketConnections.labels(route))

/** Counts one open tunnel; call the returned function once when it closes. */
export function openWebSocket (route: string): () => void {
  const gauge = websocketsFor(route)
  gauge.inc()
  return () => { gauge.dec() }
}

export const workerRestartsTotal = once('turnpike_worker_restarts_total', () => {
  const counter = new Counter({
    name: 'turnpike_worker_restarts_total',
    help: 'Cluster workers replaced after they died (server.workers > 1)'
  })
  counter.inc(0)
  return counter
})

export const connectionsRefusedTotal = once('turnpike_connections_refused_total', () => {
  const counter = new Counter({
    name: 'turnpike_connections_refused_total',
    help: 'Client connections refused by security.connections: per-ip (429), total (503)',
    labelNames: ['reason'] as const
  })
  counter.labels('per-ip').inc(0)
  counter.labels('total').inc(0)
  return counter
})

const connectionsRefusedFor = {
  'per-ip': connectionsRefusedTotal.labels('per-ip'),
  total: connectionsRefusedTotal.labels('total')
} as const

export function countConnectionRefused (reason: 'per-ip' | 'total'): void {
  connectionsRefusedFor[reason].inc()
}

// Upstream limits, discovery and mirroring.

export const upstreamPendingRequests = once('turnpike_upstream_pending_requests', () => new Gauge({
  name: 'turnpike_upstream_pending_requests',
  help: 'Requests waiting for a free connection under an upstream\'s limits',
  labelNames: ['upstream'] as const
}))

export const upstreamOverloadedTotal = once('turnpike_upstream_overloaded_total', () => new Counter({
  name: 'turnpike_upstream_overloaded_total',
  help: 'Requests refused with 503 TURNPIKE_UPSTREAM_OVERLOADED (queue full or pendingTimeout passed)',
  labelNames: ['upstream'] as const
}))

const pendingFor = childCache((upstream) => upstreamPendingRequests.labels(upstream))
const overloadedFor = childCache((upstream) => upstreamOverloadedTotal.labels(upstream))

/** One more (+1) or one fewer (-1) request waiting on an upstream's limits. */
export function addPending (upstream: string, delta: 1 | -1): void {
  pendingFor(upstream).inc(delta)
}

export function countOverloaded (upstream: string): void {
  overloadedFor(upstream).inc()
}

export const discoveryTargets = once('turnpike_discovery_targets', () => new Gauge({
  name: 'turnpike_discovery_targets',
  help: 'Targets in the last good DNS answer of a discovered upstream',
  labelNames: ['upstream'] as const
}))

export const discoveryFailuresTotal = once('turnpike_discovery_failures_total', () => new Counter({
  name: 'turnpike_discovery_failures_total',
  help: 'DNS lookups of a discovered upstream that failed or came back empty (the last good answer was kept)',
  labelNames: ['upstream'] as const
}))

/** The size of a discovered upstream's answer; undefined removes the series (the upstream is gone). */
export function setDiscoveryTargets (upstream: string, count: number | undefined): void {
  if (count === undefined) discoveryTargets.remove(upstream)
  else discoveryTargets.labels(upstream).set(count)
}

export function countDiscoveryFailure (upstream: string): void {
  discoveryFailuresTotal.labels(upstream).inc()
}

export const mirrorRequestsTotal = once('turnpike_mirror_requests_total', () => new Counter({
  name: 'turnpike_mirror_requests_total',
  help: 'Mirrored copies by result: sent (answered), failed (no answer), skipped (in-flight cap, body too large or chunked, no target)',
  labelNames: ['route', 'result'] as const
}))

const mirrorFor = childCache((route, result) => mirrorRequestsTotal.labels(route, result))

export function countMirror (route: string, result: 'sent' | 'failed' | 'skipped'): void {
  mirrorFor(route, result).inc()
}

export const internalErrorsTotal = once('turnpike_internal_errors_total', () => new Counter({
  name: 'turnpike_internal_errors_total',
  help: 'Exceptions caught by the last line of defence (answered 500 instead of ending the process), by socket event',
  labelNames: ['event'] as const
}))

export function countInternalError (event: string): void {
  internalErrorsTotal.labels(event).inc()
}

export const pluginErrorsTotal = once('turnpike_plugin_errors_total', () => new Counter({
  name: 'turnpike_plugin_errors_total',
  help: 'User plugin hooks that threw (each answered 500 TURNPIKE_PLUGIN_ERROR), by plugin and route',
  labelNames: ['plugin', 'route'] as const
}))

const pluginErrorsFor = childCache((plugin, route) => pluginErrorsTotal.labels(plugin, route))

export function countPluginError (plugin: string, route: string): void {
  pluginErrorsFor(plugin, route).inc()
}
