// A route's request metrics (children of the gateway's GatewayMetrics) and access-log
// line, worked out once per route when its scope is built, so the per-request cost is what must be per request. The metric
// children (prom-client hashes its label values on every `.labels()` call) are kept
// per method and status, found with two small Map look-ups and no string building;
// the access log is a pino child that serialized the route's name (and its upstream,
// when it has one) once.
import type { Logger } from 'pino'
import type { GatewayMetrics } from '../metrics.js'
import type { CompiledRoute } from './compiled-route.js'

type Histogram = ReturnType<GatewayMetrics['requestDuration']['labels']>
type Counter = ReturnType<GatewayMetrics['requestsTotal']['labels']>

interface MethodMeters {
  readonly duration: Histogram
  readonly byStatus: Map<number, Counter>
}

export class RouteMeter {
  private readonly methods = new Map<string, MethodMeters>()
  /** The access log with `route` (and `upstream` on a route with one upstream) bound. */
  readonly log: Logger

  constructor (private readonly route: CompiledRoute, logger: Logger, private readonly metrics: GatewayMetrics) {
    this.log = logger.child(route.upstream === undefined ? { route: route.name } : { route: route.name, upstream: route.upstream })
  }

  /** Counts one finished request of a route with one upstream (a split route counts per upstream: metrics.ts). */
  observe (method: string, status: number, seconds: number): void {
    let meters = this.methods.get(method)
    if (meters === undefined) {
      meters = { duration: this.metrics.requestDuration.labels(this.route.name, method), byStatus: new Map() }
      this.methods.set(method, meters)
    }
    meters.duration.observe(seconds)
    let counter = meters.byStatus.get(status)
    if (counter === undefined) {
      counter = this.metrics.requestsTotal.labels({ route: this.route.name, method, status: String(status) })
      meters.byStatus.set(status, counter)
    }
    counter.inc()
  }
}
