// A route's request metrics (children of the gateway's GatewayMetrics) and access-log
// line, worked out once per route when its scope is built, so the per-request cost is
// what must be per request. The duration histogram's child (prom-client hashes its label
// values on every `.labels()` call) and the request count (a plain number,
// ../scrape-counts.ts) are kept per protocol, method and status: the protocol picks one
// of three tables by comparing against constants, then two small Map look-ups, and no
// string is built. The access log is a pino child that serialized the route's name
// (and its upstream, when it has one) once, and, with the gateway's own logger, an
// AccessLine that writes the same line to the log sink without pino's serializer.
import type { Logger } from 'pino'
import { AccessLine } from '../access-line.js'
import type { LineSink } from '../log-sink.js'
import type { GatewayMetrics, RequestProtocol } from '../metrics.js'
import type { PendingCount } from '../scrape-counts.js'
import type { CompiledRoute } from './compiled-route.js'

type Histogram = ReturnType<GatewayMetrics['requestDuration']['labels']>

interface MethodMeters {
  readonly duration: Histogram
  readonly byStatus: Map<number, PendingCount>
}

export class RouteMeter {
  /** Children per method, one table per `protocol` label value. */
  private readonly http1 = new Map<string, MethodMeters>()
  private readonly h2 = new Map<string, MethodMeters>()
  private readonly grpc = new Map<string, MethodMeters>()
  /** The access log with `route` (and `upstream` on a route with one upstream) bound. */
  readonly log: Logger
  /** The same line written straight to the sink; null when the logger is not the gateway's own. */
  readonly line: AccessLine | null

  constructor (private readonly route: CompiledRoute, logger: Logger, private readonly metrics: GatewayMetrics, sink: LineSink | null = null) {
    this.log = logger.child(route.upstream === undefined ? { route: route.name } : { route: route.name, upstream: route.upstream })
    this.line = sink === null ? null : new AccessLine(sink, this.log)
  }

  /** Counts one finished request of a route with one upstream (a split route counts per upstream: metrics.ts). */
  observe (method: string, status: number, seconds: number, protocol: RequestProtocol): void {
    const methods = protocol === 'http1' ? this.http1 : protocol === 'h2' ? this.h2 : this.grpc
    let meters = methods.get(method)
    if (meters === undefined) {
      meters = { duration: this.metrics.requestDuration.labels({ route: this.route.name, method, protocol }), byStatus: new Map() }
      methods.set(method, meters)
    }
    meters.duration.observe(seconds)
    let count = meters.byStatus.get(status)
    if (count === undefined) {
      count = this.metrics.requestCount(this.route.name, method, status, protocol)
      meters.byStatus.set(status, count)
    }
    count.pending++
  }
}
