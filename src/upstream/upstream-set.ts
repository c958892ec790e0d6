// The upstreams of one config generation: name → targets and the balancer over them.
// Built from the frozen config with state taken from the registry; disposed (targets
// released) when the generation is retired. A discovered upstream's targets change
// while the generation runs (discovered-upstream.ts); a listed one's never do.
import type { Logger } from 'pino'
import type { GatewayConfig, UpstreamConfig } from '../config/schema.js'
import type { Balancer } from './balancer.js'
import { balancerOver } from './balancers/for-upstream.js'
import { DiscoveredUpstream } from './discovery/discovered-upstream.js'
import type { TargetRegistry } from './registry.js'
import type { Target } from './target.js'
import { upstreamTls, type UpstreamTls } from '../tls/upstream-tls.js'
import { balancerKeyReader, type KeyReader } from './hash-key.js'
import type { RetryBudget } from './retry.js'

export interface Upstream {
  readonly name: string
  readonly config: Readonly<UpstreamConfig>
  /** The targets in rotation now (a discovered upstream's change with its DNS answer). */
  readonly targets: readonly Target[]
  readonly balancer: Balancer
  /** What the https:// targets' connections use (also to release them); undefined without tls. */
  readonly tls: UpstreamTls | undefined
  /** The key a hash balancer hashes, read from a request; undefined when the balancer does not hash. */
  readonly hashKey: KeyReader | undefined
  /** The upstream's retry budget: the registry's, so it outlives a reload. */
  readonly retryBudget: RetryBudget
}

export class UpstreamSet {
  private readonly upstreams = new Map<string, Upstream>()
  private readonly discovered: DiscoveredUpstream[] = []

  constructor (config: Readonly<GatewayConfig>, private readonly registry: TargetRegistry, logger: Logger) {
    for (const [name, upstreamConfig] of Object.entries(config.upstreams)) {
      if (upstreamConfig.discovery !== undefined) {
        const upstream = new DiscoveredUpstream(name, upstreamConfig, upstreamConfig.discovery, registry, logger)
        this.discovered.push(upstream)
        this.upstreams.set(name, upstream)
        continue
      }
      const tls = upstreamTls(upstreamConfig.tls)
      const targets = (upstreamConfig.targets ?? []).map((t): Target => {
        const url = new URL(t.url)
        return Object.freeze({
          url: t.url,
          origin: url.origin,
          host: url.host,
          weight: t.weight,
          state: registry.acquire(name, url.origin, upstreamConfig, url.protocol === 'https:' ? tls : undefined),
          discovered: false
        })
      })
      this.upstreams.set(name, Object.freeze({ name, config: upstreamConfig, targets: Object.freeze(targets), balancer: balancerOver(upstreamConfig, targets), tls, hashKey: balancerKeyReader(upstreamConfig), retryBudget: registry.retryBudget(name) }))
    }
  }

  /** Resolves once every discovered upstream has had its first answer (or failed to). */
  async ready (): Promise<void> {
    await Promise.all(this.discovered.map(async (u) => { await u.ready() }))
  }

  get (name: string): Upstream | undefined {
    return this.upstreams.get(name)
  }

  all (): Upstream[] {
    return [...this.upstreams.values()]
  }

  /** Gives the targets back to the registry; call once, when no request uses this set. */
  dispose (): void {
    for (const upstream of this.upstreams.values()) {
      if (upstream instanceof DiscoveredUpstream) {
        upstream.dispose()
        continue
      }
      for (const target of upstream.targets) {
        this.registry.release(upstream.name, target.origin, upstream.config, target.origin.startsWith('https:') ? upstream.tls : undefined)
      }
    }
    this.upstreams.clear()
  }
}
