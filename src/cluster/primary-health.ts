// Active health checks in a cluster primary: each target is checked once for the whole
// gateway (not once per worker), and every verdict is pushed to the workers, whose
// balancers read it like a local one (HealthRegistry's remote verdicts). Outlier
// detection and circuit breakers stay in the workers: they feed on each worker's own
// requests (docs/operations.md says why).
//
// A reload acquires the new config's targets before the workers build it, so a kept
// target keeps its checker and verdict, and releases the old ones once all switched.
import type { GatewayConfig } from '../config/schema.js'
import { HealthRegistry } from '../upstream/health/health-registry.js'
import type { TargetHealth } from '../upstream/health/target-health.js'
import type { HealthPolicy } from '../upstream/health/types.js'
import type { GatewayMetrics } from '../metrics.js'

/** One verdict as it travels to the workers. */
export interface Verdict { readonly upstream: string, readonly origin: string, readonly healthy: boolean }

interface Held { readonly upstream: string, readonly origin: string, readonly policy: HealthPolicy }

function heldBy (config: Readonly<GatewayConfig>): Held[] {
  return Object.entries(config.upstreams).flatMap(([upstream, u]) => {
    // Only the active checks run here; the workers own ejection and breakers.
    const policy: HealthPolicy = { healthCheck: u.healthCheck, outlierDetection: undefined, circuitBreaker: undefined }
    // A discovered upstream (no `targets`) is checked by each worker, which finds its targets.
    return (u.targets ?? []).map((t) => ({ upstream, origin: new URL(t.url).origin, policy }))
  })
}

export class PrimaryHealth {
  private readonly registry: HealthRegistry
  private readonly watched = new WeakSet<TargetHealth>()
  private held: Held[] = []
  private previous: Held[] | null = null

  /** `metrics`: the primary's, where the checked targets' health gauges go. */
  constructor (metrics: GatewayMetrics, private readonly publish: (verdict: Verdict) => void) {
    this.registry = new HealthRegistry(metrics)
  }

  /** Starts checking `config`'s targets; the ones already held keep their state. */
  prepare (config: Readonly<GatewayConfig>): void {
    this.previous = this.held
    this.held = heldBy(config)
    for (const h of this.held) {
      const health = this.registry.acquire(h.upstream, h.origin, h.policy)
      if (this.watched.has(health)) continue
      this.watched.add(health)
      health.on('change', (snapshot) => { this.publish({ upstream: h.upstream, origin: h.origin, healthy: snapshot.healthy }) })
    }
  }

  /** Every worker switched: the old config's targets are let go. */
  commit (): void {
    for (const h of this.previous ?? []) this.registry.release(h.upstream, h.origin, h.policy)
    this.previous = null
  }

  /** The reload failed: back to the running config's targets. */
  discard (): void {
    for (const h of this.held) this.registry.release(h.upstream, h.origin, h.policy)
    this.held = this.previous ?? []
    this.previous = null
  }

  /** Every current verdict, for a worker that starts. */
  verdicts (): Verdict[] {
    return this.held.map((h) => ({ upstream: h.upstream, origin: h.origin, healthy: this.healthy(h.upstream, h.origin) }))
  }

  healthy (upstream: string, origin: string): boolean {
    return this.registry.get(upstream, origin)?.healthy ?? true
  }

  close (): void {
    this.registry.closeAll()
    this.held = []
  }
}
