// One generation's view of a discovered upstream. Each new DNS answer becomes a new
// target list and a new balancer over it, both assigned in one synchronous step, so a
// request always picks from one consistent list. They are plain fields, as a listed
// upstream's are: the request path reads a discovered upstream exactly as a listed one,
// and an answer that did not change builds nothing. Targets are taken from the registry by
// identity (upstream + origin): one that stays keeps its pool, health, breaker and
// counters; one that is new enters (after its first passing check when checks are on);
// one that left gets no new picks, and its pool closes once its requests are done.
import type { Logger } from 'pino'
import type { DiscoveryConfig, UpstreamConfig } from '../../config/schema.js'
import type { Balancer } from '../balancer.js'
import { balancerKeyReader, type KeyReader } from '../hash-key.js'
import type { RetryBudget } from '../retry.js'
import { balancerOver } from '../balancers/for-upstream.js'
import type { TargetRegistry } from '../registry.js'
import type { Target } from '../target.js'
import type { Upstream } from '../upstream-set.js'
import type { Discovery } from './discovery.js'
import type { Endpoint } from './lookup.js'

export class DiscoveredUpstream implements Upstream {
  /** The targets of the last good answer, and the balancer over them. */
  targets: readonly Target[] = []
  balancer: Balancer
  /** The shared DNS answer this view follows. */
  readonly discovery: Discovery
  private disposed = false
  /** Discovered targets are http:// only: no TLS settings to carry. */
  readonly tls = undefined
  readonly hashKey: KeyReader | undefined
  readonly retryBudget: RetryBudget
  /** Whether this generation has had a DNS answer yet (targets then are "joining"). */
  private answered: boolean

  constructor (readonly name: string, readonly config: Readonly<UpstreamConfig>, private readonly settings: Readonly<DiscoveryConfig>,
    private readonly registry: TargetRegistry, logger: Logger) {
    this.discovery = registry.discovery.acquire(name, settings, logger)
    this.hashKey = balancerKeyReader(config)
    this.retryBudget = registry.retryBudget(name)
    this.balancer = balancerOver(config, [])
    this.answered = this.discovery.endpoints.length > 0
    this.apply(this.discovery.endpoints, false)
    this.discovery.on('change', this.onChange)
  }

  /** What is being resolved, for explain and /backends. */
  get source (): string {
    return this.discovery.name
  }

  async ready (): Promise<void> {
    await this.discovery.ready()
  }

  dispose (): void {
    if (this.disposed) return
    this.disposed = true
    this.discovery.off('change', this.onChange)
    for (const target of this.targets) this.registry.release(this.name, target.origin, this.config)
    this.targets = []
    this.balancer = balancerOver(this.config, [])
    this.registry.discovery.release(this.name, this.settings)
  }

  private readonly onChange = (endpoints: readonly Endpoint[]): void => {
    // The first answer is the upstream's starting set, as listed targets are; later
    // answers add targets to a running upstream.
    this.apply(endpoints, this.answered)
    this.answered = true
  }

  private apply (endpoints: readonly Endpoint[], joining: boolean): void {
    const old = new Map(this.targets.map((t) => [t.origin, t]))
    const targets = endpoints.map((e): Target => {
      const kept = old.get(e.origin)
      if (kept !== undefined) {
        old.delete(e.origin)
        return kept.weight === e.weight && kept.host === e.host ? kept : Object.freeze({ ...kept, weight: e.weight, host: e.host })
      }
      const state = this.registry.acquire(this.name, e.origin, this.config, undefined, joining)
      return Object.freeze({ url: e.origin, origin: e.origin, host: e.host, weight: e.weight, state, discovered: true })
    })
    this.targets = Object.freeze(targets)
    this.balancer = balancerOver(this.config, targets)
    for (const gone of old.values()) this.registry.release(this.name, gone.origin, this.config)
  }
}
