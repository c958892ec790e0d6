// Assembles admin GET /stats (GatewayStats) at request time: the collector's window,
// the current generation's routes and targets, and the policy counters prom-client
// already keeps (read here, once a poll, so the data plane counts nothing twice).
import { redactUrl } from '../config/redact.js'
import type { GatewayConfig } from '../config/schema.js'
import type { GatewayMetrics } from '../metrics.js'
import { healthOf } from '../upstream/health/target-health.js'
import type { Upstream } from '../upstream/upstream-set.js'
import { VERSION } from '../version.js'
import type { RedisLinkStats } from '../redis/link.js'
import type { StatsCollector } from './collector.js'
import type { GatewayStats, RedisStats, RouteStats, TargetStats } from './types.js'

/** What the stats need of the gateway (the Gateway itself, or a stand-in in tests). */
export interface StatsSource {
  readonly isReady: boolean
  readonly startedAt: Date
  readonly generation: {
    readonly id: number
    readonly config: Readonly<GatewayConfig>
    readonly built: { readonly upstreams: { all (): Upstream[] } }
  }
  readonly stats: StatsCollector
  readonly connections: { readonly ledger: { readonly open: number } }
  readonly edge: { readonly redis: { readonly stats: RedisLinkStats } | null }
  readonly metrics: GatewayMetrics
}

function describeRedis (link: { readonly stats: RedisLinkStats } | null): RedisStats | null {
  if (link === null) return null
  const { since, ...rest } = link.stats
  return { ...rest, since: new Date(since).toISOString() }
}

interface MetricValues { get (): Promise<{ values: Array<{ value: number, labels: Record<string, string | number | undefined> }> }> }

async function sum (metric: MetricValues, match: (labels: Record<string, string | number | undefined>) => boolean = () => true): Promise<number> {
  const { values } = await metric.get()
  return values.reduce((n, v) => match(v.labels) ? n + v.value : n, 0)
}

export type UpstreamsView = Record<string, { balancer: string, targets: TargetStats[] }>

/**
 * Every upstream's balancer and targets with their state: `upstreams` of /stats and of
 * admin GET /backends, which show the same thing. URLs have any password redacted.
 */
export function describeUpstreams (all: readonly Upstream[]): UpstreamsView {
  const upstreams: UpstreamsView = {}
  for (const upstream of all) {
    upstreams[upstream.name] = {
      balancer: upstream.config.balancer,
      targets: upstream.targets.map((t) => ({
        url: redactUrl(t.url),
        weight: t.weight,
        healthy: healthOf(t.state)?.healthy ?? true,
        ejected: healthOf(t.state)?.ejected ?? false,
        breaker: t.state.breaker?.state ?? 'closed',
        activeRequests: t.state.activeRequests,
        ...(t.discovered === true ? { discovered: true as const } : {})
      }))
    }
  }
  return upstreams
}

export async function buildStats (view: StatsSource): Promise<GatewayStats> {
  const { stats, generation } = view
  const overall = stats.overall()
  const routes = generation.config.routes.map((r): RouteStats => {
    const w = stats.route(r.name)
    return { name: r.name, requests: w.total, rate: w.rate, errorRate: w.errorRate, p50: w.p50, p90: w.p90, p99: w.p99 }
  })
  const upstreams = describeUpstreams(generation.built.upstreams.all())
  const cache = async (result: string): Promise<number> => await sum(view.metrics.cacheRequestsTotal, (l) => l.result === result)
  const [active, ws, rateLimited, blocked, connectionsRefused, hit, miss, bypass] = await Promise.all([
    sum(view.metrics.activeConnections), sum(view.metrics.websocketConnections), sum(view.metrics.rateLimitedTotal), sum(view.metrics.blockedIpsTotal), sum(view.metrics.connectionsRefusedTotal),
    cache('hit'), cache('miss'), cache('bypass')
  ])
  const startedAt = view.startedAt
  return {
    version: VERSION,
    startedAt: startedAt.toISOString(),
    uptimeSeconds: Math.floor((Date.now() - startedAt.getTime()) / 1000),
    generation: generation.id,
    ready: view.isReady,
    windowSeconds: stats.windowSeconds,
    requests: {
      total: overall.total,
      rate: overall.rate,
      errorRate: overall.errorRate,
      byClass: overall.byClass,
      p50: overall.p50,
      p90: overall.p90,
      p99: overall.p99
    },
    connections: { active, websockets: ws, counted: view.connections.ledger.open },
    routes,
    upstreams,
    reloads: stats.reloads.recent(),
    redis: describeRedis(view.edge.redis),
    policies: { rateLimited, blocked, connectionsRefused, cache: { hit, miss, bypass } }
  }
}
