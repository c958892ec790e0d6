// Long-lived target state keyed by identity (upstream name + origin + pool settings),
// so a config reload that leaves a target alone keeps its warm connection pool (and,
// later, its health and breaker state). Generations acquire the targets they list and
// release them when they are retired; the last release closes the pool gracefully.
import { Pool } from 'undici'
import type { UpstreamConfig } from '../config/schema.js'
import type { TargetState } from './target.js'

type PoolConfig = UpstreamConfig['pool']

interface Entry { state: TargetState, refs: number }

export class TargetRegistry {
  private readonly entries = new Map<string, Entry>()

  private static keyOf (upstream: string, origin: string, pool: PoolConfig): string {
    return `${upstream}\u0000${origin}\u0000${pool.connections}/${pool.keepAlive}/${pool.connectTimeout}`
  }

  acquire (upstream: string, origin: string, pool: PoolConfig): TargetState {
    const key = TargetRegistry.keyOf(upstream, origin, pool)
    let entry = this.entries.get(key)
    if (entry === undefined) {
      const dispatcher = new Pool(origin, {
        connections: pool.connections,
        keepAliveTimeout: pool.keepAlive,
        keepAliveMaxTimeout: Math.max(pool.keepAlive, 1000),
        connect: { timeout: pool.connectTimeout },
        pipelining: 1
      })
      entry = { state: { upstream, origin, pool: dispatcher, activeRequests: 0, available: true }, refs: 0 }
      this.entries.set(key, entry)
    }
    entry.refs++
    return entry.state
  }

  release (upstream: string, origin: string, pool: PoolConfig): void {
    const key = TargetRegistry.keyOf(upstream, origin, pool)
    const entry = this.entries.get(key)
    if (entry === undefined) return
    if (--entry.refs > 0) return
    this.entries.delete(key)
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
    await Promise.allSettled(pools.map(async (p) => await p.close()))
  }
}
