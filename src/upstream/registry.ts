// Long-lived target state keyed by identity (upstream name + origin + pool settings),
// so a config reload that leaves a target alone keeps its warm connection pool and
// its health (held by the HealthRegistry, keyed by upstream name + origin, so even a
// changed pool keeps it). Generations acquire the targets they list and release them
// when they are retired; the last release closes the pool gracefully.
import { Pool } from 'undici'
import type { UpstreamConfig } from '../config/schema.js'
import { DiscoveryRegistry } from './discovery/discovery-registry.js'
import { HealthRegistry, type RemoteVerdicts } from './health/health-registry.js'
import type { HealthLog, TargetHealth } from './health/target-health.js'
import { TargetGate } from './limits.js'
import type { TargetState } from './target.js'
import type { UpstreamTls } from '../tls/upstream-tls.js'
import type { GatewayMetrics } from '../metrics.js'
import { RetryBudget } from './retry.js'

type PoolConfig = UpstreamConfig['pool']
/** What of an upstream's config a target's long-lived state depends on. */
export type TargetSettings = Pick<UpstreamConfig, 'pool' | 'healthCheck' | 'outlierDetection' | 'circuitBreaker' | 'limits'>

interface Entry { state: TargetState, refs: number, health: TargetHealth }

export class TargetRegistry {
  private readonly entries = new Map<string, Entry>()
  /** Per upstream name, so a reload keeps what retries have spent. */
  private readonly retryBudgets = new Map<string, RetryBudget>()
  readonly health: HealthRegistry

  /**
   * `remote`: active-check verdicts come from elsewhere (a cluster worker's primary).
   * `log` hears of targets leaving rotation and coming back.
   */
  constructor (private readonly metrics: GatewayMetrics, remote: RemoteVerdicts | null = null, log?: HealthLog) {
    this.health = new HealthRegistry(metrics, remote, log)
    this.discovery = new DiscoveryRegistry(metrics)
  }

  /** DNS discovery per upstream, shared by the generations that resolve the same name. */
  readonly discovery: DiscoveryRegistry

  private static keyOf (upstream: string, origin: string, pool: PoolConfig, tls: UpstreamTls | undefined): string {
    return `${upstream}\u0000${origin}\u0000${pool.connections}/${pool.keepAlive}/${pool.connectTimeout}\u0000${tls?.digest ?? ''}`
  }

  /**
   * `tls`: for an https:// origin of an upstream with `tls` settings. `joining`: a target
   * discovery found in a running upstream (see HealthRegistry.acquire).
   */
  acquire (upstream: string, origin: string, settings: TargetSettings, tls?: UpstreamTls, joining = false): TargetState {
    const { pool } = settings
    const key = TargetRegistry.keyOf(upstream, origin, pool, tls)
    const health = this.health.acquire(upstream, origin, settings, tls, joining)
    let entry = this.entries.get(key)
    if (entry === undefined) {
      const connect = Object.freeze({ timeout: pool.connectTimeout, ...tls?.connect })
      const dispatcher = new Pool(origin, {
        connections: pool.connections,
        keepAliveTimeout: pool.keepAlive,
        keepAliveMaxTimeout: Math.max(pool.keepAlive, 1000),
        connect,
        pipelining: 1
      })
      entry = { state: { upstream, origin, pool: dispatcher, connect, activeRequests: 0, available: true, breaker: undefined, gate: undefined }, refs: 0, health }
      health.attach(entry.state)
      this.entries.set(key, entry)
    }
    entry.refs++
    // The newest generation's limits are the ones in force; a request keeps the gate it entered.
    const { limits } = settings
    if (limits === undefined) entry.state.gate = undefined
    else if (entry.state.gate === undefined) entry.state.gate = new TargetGate(upstream, limits, this.metrics)
    else entry.state.gate.configure(limits)
    return entry.state
  }

  release (upstream: string, origin: string, settings: TargetSettings, tls?: UpstreamTls): void {
    const key = TargetRegistry.keyOf(upstream, origin, settings.pool, tls)
    const entry = this.entries.get(key)
    if (entry === undefined) return
    this.health.release(upstream, origin, settings, tls)
    if (--entry.refs > 0) return
    this.entries.delete(key)
    entry.health.detach(entry.state)
    // close() lets requests in flight finish; errors here only mean it was already gone.
    entry.state.pool.close().catch(() => undefined)
  }

  /** The retry budget of the upstream called `upstream` (one per name for the gateway's life). */
  retryBudget (upstream: string): RetryBudget {
    let budget = this.retryBudgets.get(upstream)
    if (budget === undefined) {
      budget = new RetryBudget()
      this.retryBudgets.set(upstream, budget)
    }
    return budget
  }

  /** Every live target state (for /backends and metrics). */
  states (): TargetState[] {
    return [...this.entries.values()].map((e) => e.state)
  }

  async closeAll (): Promise<void> {
    const pools = [...this.entries.values()].map((e) => e.state.pool)
    this.entries.clear()
    this.retryBudgets.clear()
    this.discovery.closeAll()
    this.health.closeAll()
    await Promise.allSettled(pools.map(async (p) => await p.close()))
  }
}
