// The whole gateway's admin answers, merged from what each cluster worker reports:
// counters summed and histograms merged (prom-client's AggregatorRegistry), each
// worker's process metrics labelled `worker`; /stats counts added before rates and
// percentiles are worked out; /backends one state per target.
import client from '@platformatic/prom-client'
import type { GatewayConfig } from '../config/schema.js'
import { addCounts, emptyCounts, summarizeCounts, type WindowCounts } from '../stats/collector.js'
import type { UpstreamsView } from '../stats/snapshot.js'
import type { GatewayStats, RedisStats, RouteStats, TargetStats } from '../stats/types.js'
import type { WorkerStats } from './protocol.js'

type MetricsJson = Awaited<ReturnType<typeof client.register.getMetricsAsJSON>>

/** Process metrics (everything not turnpike_*) are per process: labelled with the worker, never summed. */
export function labelProcessMetrics (metrics: MetricsJson, worker: string): MetricsJson {
  return metrics.map((metric) => metric.name.startsWith('turnpike_')
    ? metric
    : { ...metric, values: metric.values.map((v) => ({ ...v, labels: { ...v.labels, worker } })) })
}

export async function mergeMetrics (all: MetricsJson[]): Promise<{ contentType: string, text: string }> {
  const merged = client.AggregatorRegistry.aggregate(all)
  return { contentType: merged.contentType, text: await merged.metrics() }
}

const BREAKER_ORDER = { closed: 0, 'half-open': 1, open: 2 } as const

/**
 * One state per target: health is the primary's active checks (the workers hold the
 * same verdict), ejected if any worker ejected it, the breaker the most open of the
 * workers' breakers, active requests summed.
 */
export function mergeBackends (views: readonly UpstreamsView[]): UpstreamsView {
  const [first, ...rest] = views
  if (first === undefined) return {}
  const merged: UpstreamsView = {}
  for (const [name, upstream] of Object.entries(first)) {
    merged[name] = {
      balancer: upstream.balancer,
      targets: upstream.targets.map((target, i): TargetStats => {
        const others = rest.map((v) => v[name]?.targets[i]).filter((t): t is TargetStats => t !== undefined && t.url === target.url)
        return others.reduce((a, b) => ({
          ...a,
          healthy: a.healthy && b.healthy,
          ejected: a.ejected || b.ejected,
          breaker: BREAKER_ORDER[b.breaker] > BREAKER_ORDER[a.breaker] ? b.breaker : a.breaker,
          activeRequests: a.activeRequests + b.activeRequests
        }), target)
      })
    }
  }
  return merged
}

export interface PrimaryFacts {
  readonly base: Pick<GatewayStats, 'version' | 'startedAt' | 'uptimeSeconds' | 'generation' | 'ready' | 'windowSeconds' | 'reloads'>
  readonly config: Readonly<GatewayConfig>
  /** security.connections: the primary's count, the one for the gateway. */
  readonly counted: number
  readonly workers: ReadonlyArray<{ id: number, pid: number | null, up: boolean, restarts: number }>
}

export function mergeStats (facts: PrimaryFacts, reports: readonly WorkerStats[]): GatewayStats {
  const byRoute = new Map<string, WindowCounts>()
  const overall = emptyCounts()
  let span = 1
  for (const { counts } of reports) {
    span = Math.max(span, counts.spanSeconds)
    for (const [route, c] of Object.entries(counts.routes)) {
      addCounts(byRoute.get(route) ?? byRoute.set(route, emptyCounts()).get(route)!, c)
      addCounts(overall, c)
    }
  }
  const all = summarizeCounts(overall, span)
  const routes = facts.config.routes.map((r): RouteStats => {
    const w = summarizeCounts(byRoute.get(r.name) ?? emptyCounts(), span)
    return { name: r.name, requests: w.total, rate: w.rate, errorRate: w.errorRate, p50: w.p50, p90: w.p90, p99: w.p99 }
  })
  const sum = (pick: (s: GatewayStats) => number): number => reports.reduce((n, r) => n + pick(r.stats), 0)
  return {
    ...facts.base,
    requests: { total: all.total, rate: all.rate, errorRate: all.errorRate, byClass: all.byClass, p50: all.p50, p90: all.p90, p99: all.p99 },
    connections: { active: sum((s) => s.connections.active), websockets: sum((s) => s.connections.websockets), counted: facts.counted },
    routes,
    upstreams: mergeBackends(reports.map((r) => r.stats.upstreams as UpstreamsView)),
    redis: mergeRedis(reports.map((r) => r.stats.redis)),
    policies: {
      rateLimited: sum((s) => s.policies.rateLimited),
      blocked: sum((s) => s.policies.blocked),
      connectionsRefused: sum((s) => s.policies.connectionsRefused),
      cache: { hit: sum((s) => s.policies.cache.hit), miss: sum((s) => s.policies.cache.miss), bypass: sum((s) => s.policies.cache.bypass) }
    },
    workers: facts.workers
  }
}

/**
 * Each worker has its own link to Redis, hence its own breaker: the gateway's link is
 * shown as open while any worker's breaker is open (that worker serves from its own
 * state), with the commands in flight summed over the workers.
 */
function mergeRedis (links: ReadonlyArray<RedisStats | null>): RedisStats | null {
  const present = links.filter((l): l is RedisStats => l !== null)
  const first = present.find((l) => l.state === 'open') ?? present[0]
  if (first === undefined) return null
  return { ...first, inFlight: present.reduce((n, l) => n + l.inFlight, 0) }
}
