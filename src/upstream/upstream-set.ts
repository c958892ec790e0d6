// The upstreams of one config generation: name → targets and the balancer over them.
// Built from the frozen config with state taken from the registry; disposed (targets
// released) when the generation is retired.
import type { GatewayConfig, UpstreamConfig } from '../config/schema.js'
import type { Balancer } from './balancer.js'
import { balancerFor } from './balancers/index.js'
import { failOpen } from './health/fail-open.js'
import type { TargetRegistry } from './registry.js'
import type { Target } from './target.js'
import { upstreamTls, type UpstreamTls } from '../tls/upstream-tls.js'

export interface Upstream {
  readonly name: string
  readonly config: Readonly<UpstreamConfig>
  readonly targets: readonly Target[]
  readonly balancer: Balancer
  /** What the https:// targets' connections use (also to release them); undefined without tls. */
  readonly tls: UpstreamTls | undefined
}

export class UpstreamSet {
  private readonly upstreams = new Map<string, Upstream>()

  constructor (config: Readonly<GatewayConfig>, private readonly registry: TargetRegistry) {
    for (const [name, upstreamConfig] of Object.entries(config.upstreams)) {
      const tls = upstreamTls(upstreamConfig.tls)
      const targets = upstreamConfig.targets.map((t): Target => {
        const url = new URL(t.url)
        return Object.freeze({
          url: t.url,
          origin: url.origin,
          host: url.host,
          weight: t.weight,
          state: registry.acquire(name, url.origin, upstreamConfig, url.protocol === 'https:' ? tls : undefined)
        })
      })
      const chosen = balancerFor(upstreamConfig.balancer)(targets, { random: Math.random, now: () => performance.now() })
      const balancer = upstreamConfig.onNoHealthyTarget === 'any' ? failOpen(chosen, targets) : chosen
      this.upstreams.set(name, Object.freeze({ name, config: upstreamConfig, targets: Object.freeze(targets), balancer, tls }))
    }
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
      for (const target of upstream.targets) {
        this.registry.release(upstream.name, target.origin, upstream.config, target.origin.startsWith('https:') ? upstream.tls : undefined)
      }
    }
    this.upstreams.clear()
  }
}
