// Long-lived target state keyed by identity (upstream name + origin + pool settings),
// so a config reload that leaves a target alone keeps its warm connection pool and
// its health (held by the HealthRegistry, keyed by upstream name + origin, so even a
// changed pool keeps it). Generations acquire the targets they list and release them
// when they are retired; the last release closes the pool gracefully.
import { Pool } from 'undici'
import type { UpstreamConfig } from '../config/schema.js'
import { HealthRegistry, type RemoteVerdicts } from './health/health-registry.js'
import type { TargetHealth } from './health/target-health.js'
import type { TargetState } from './target.js'

type PoolConfig = UpstreamConfig['pool']
/** What of an upstream's config a target's long-lived state depends on. */
export type TargetSettings = Pick<UpstreamConfig, 'pool' | 'healthCheck' | 'outlierDetection' | 'circuitBreaker'>

interface Entry { state: TargetState, refs: number, health: TargetHealth }

export class TargetRegistry {
  private readonly entries = new Map<string, Entry>()
  readonly health: HealthRegistry

  /** `remote`: active-check verdicts come from elsewhere (a cluster worker's primary). */
  constructor (remote: RemoteVerdicts | null = null) {
    this.health = new HealthRegistry(remote)
  }

  private static keyOf (upstream: string, origin: string, pool: PoolConfig): string {
    return `${upstream}\u0000${origin}\u0000${pool.connections}/${pool.keepAlive}/${pool.connectTimeout}`
  }

  acquire (upstream: string, origin: string, settings: TargetSettings): TargetState {
    const { pool } = settings
    const key = TargetRegistry.keyOf(upstream, origin, pool)
    const health = this.health.acquire(upstream, origin, settings)
    let entry = this.entries.get(key)
    if (entry === undefined) {
      const dispatcher = new Pool(origin, {
        connections: pool.connections,
        keepAliveTimeout: pool.keepAlive,
        keepAliveMaxTimeout: Math.max(pool.keepAlive, 1000),
        connect: { timeout: pool.connectTimeout },
        pipelining: 1
      })
      entry = { state: { upstream, origin, pool: dispatcher, activeRequests: 0, available: true, breaker: undefined }, refs: 0, health }
      health.attach(entry.state)
      this.entries.set(key, entry)
    }
    entry.refs++
    return entry.state
  }

  release (upstream: string, origin: string, settings: TargetSettings): void {
    const key = TargetRegistry.keyOf(upstream, origin, settings.pool)
    const entry = this.entries.get(key)
    if (entry === undefined) return
    this.health.release(upstream, origin, settings)
    if (--entry.refs > 0) return
    this.entries.delete(key)
    entry.health.detach(entry.state)
    // close() lets requests in flight finish; errors here only mean it was already gone.
    entry.state.pool.close().catch(() => undefined)
  }

  /** Every live target state (for /backends and metrics). */
  states (): TargetState[] {
    return [...this.entries.values()].map((e) => e.state)
  }

  async closeAll (): Promise<void> {
    const pools = [...this.entries.values()].map((e) => e.state.pool)
    this.entries.clear()
    this.health.closeAll()
    await Promise.allSettled(pools.map(async (p) => await p.close()))
  }
}
