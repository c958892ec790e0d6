// Discoveries keyed by upstream name + discovery settings and shared by every
// generation that has them, so a reload that leaves an upstream's discovery alone keeps
// its last good answer (and the targets in it) instead of starting from nothing.
import type { Logger } from 'pino'
import type { DiscoveryConfig } from '../../config/schema.js'
import type { GatewayMetrics } from '../../metrics.js'
import { Discovery } from './discovery.js'

interface Entry { readonly discovery: Discovery, refs: number }

export class DiscoveryRegistry {
  private readonly entries = new Map<string, Entry>()

  constructor (private readonly metrics: GatewayMetrics) {}

  private static keyOf (upstream: string, config: Readonly<DiscoveryConfig>): string {
    return `${upstream}\u0000${JSON.stringify(config)}`
  }

  acquire (upstream: string, config: Readonly<DiscoveryConfig>, logger: Logger): Discovery {
    const key = DiscoveryRegistry.keyOf(upstream, config)
    let entry = this.entries.get(key)
    if (entry === undefined) {
      entry = { discovery: new Discovery(upstream, config, logger, this.metrics), refs: 0 }
      this.entries.set(key, entry)
    }
    entry.refs++
    return entry.discovery
  }

  release (upstream: string, config: Readonly<DiscoveryConfig>): void {
    const key = DiscoveryRegistry.keyOf(upstream, config)
    const entry = this.entries.get(key)
    if (entry === undefined || --entry.refs > 0) return
    this.entries.delete(key)
    entry.discovery.stop()
    // The gauge is per upstream: it stays while a discovery of the same name (a
    // reload's changed settings) still runs.
    const successor = [...this.entries.values()].find((e) => e.discovery.upstream === upstream)
    this.metrics.setDiscoveryTargets(upstream, successor?.discovery.endpoints.length)
  }

  closeAll (): void {
    for (const entry of this.entries.values()) {
      entry.discovery.stop()
      this.metrics.setDiscoveryTargets(entry.discovery.upstream, undefined)
    }
    this.entries.clear()
  }
}
