// What one attempt at a target came to, reported once per attempt by the forwarding
// code. Everything that learns from real traffic listens here: the balancer's latency
// feedback (p2c-ewma), passive outlier detection and, next, circuit breakers.
import type { GatewayMetrics } from '../metrics.js'
import { healthOf } from './health/target-health.js'
import type { Target } from './target.js'
import type { Upstream } from './upstream-set.js'

export interface Outcome {
  /** The upstream answered with a status below 500 (a 4xx is the client's problem). */
  readonly ok: boolean
  /** The status, or 0 when no response came (refused, reset, timed out). */
  readonly status: number
  /** From sending the request to the response headers (or the failure). */
  readonly latencyMs: number
}

export function reportOutcome (upstream: Upstream, target: Target, outcome: Outcome, metrics: GatewayMetrics): void {
  metrics.observeUpstream(target.state, outcome.latencyMs / 1000)
  upstream.balancer.observe?.(target, outcome.latencyMs, outcome.ok)
  healthOf(target.state)?.onOutcome?.(outcome.ok)
}
