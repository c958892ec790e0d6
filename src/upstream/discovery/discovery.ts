// The live DNS answer of one discovered upstream: looked up at start and `refresh`
// after each lookup ends (one timer, re-armed, never overlapping, unref'd). A lookup
// that fails or comes back empty keeps the last good answer: logged and counted, so a
// DNS hiccup never empties an upstream. Listeners hear only real changes.
import { EventEmitter } from 'node:events'
import type { Resolver } from 'node:dns/promises'
import type { Logger } from 'pino'
import type { DiscoveryConfig } from '../../config/schema.js'
import type { GatewayMetrics } from '../../metrics.js'
import { lookup, resolverFor, type Endpoint } from './lookup.js'

export type Lookup = (resolver: Resolver, config: Readonly<DiscoveryConfig>) => Promise<Endpoint[]>

export class Discovery extends EventEmitter<{ change: [readonly Endpoint[]], failure: [unknown] }> {
  private answer: readonly Endpoint[] = []
  private answerKey = ''
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private readonly resolver: Resolver
  private readonly first: Promise<void>

  constructor (readonly upstream: string, readonly config: Readonly<DiscoveryConfig>, private readonly logger: Logger,
    private readonly metrics: GatewayMetrics, private readonly lookupNow: Lookup = lookup) {
    super()
    this.resolver = resolverFor(config)
    this.first = this.refresh()
  }

  /** The last good answer ([] until one came). */
  get endpoints (): readonly Endpoint[] {
    return this.answer
  }

  /** The name being resolved, as configured. */
  get name (): string {
    return this.config.srv ?? `${this.config.dns ?? ''}:${this.config.port ?? ''}`
  }

  /** Resolves once the first lookup is over, whatever it found. */
  async ready (): Promise<void> {
    await this.first
  }

  stop (): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.resolver.cancel()
    this.removeAllListeners()
  }

  private async refresh (): Promise<void> {
    let found: Endpoint[] | undefined
    let failure: unknown
    try {
      found = await this.lookupNow(this.resolver, this.config)
    } catch (err) {
      failure = err
    }
    if (this.stopped) return
    if (found === undefined || found.length === 0) {
      this.metrics.countDiscoveryFailure(this.upstream)
      this.logger.warn({ upstream: this.upstream, name: this.name, err: failure, kept: this.answer.length },
        failure === undefined ? 'discovery: empty answer, keeping the last good one' : 'discovery: lookup failed, keeping the last good answer')
      this.emit('failure', failure)
    } else {
      this.accept(found)
    }
    if (this.timer === undefined) this.timer = setTimeout(() => { void this.refresh() }, this.config.refresh).unref()
    else this.timer.refresh()
  }

  private accept (found: Endpoint[]): void {
    const sorted = [...found].sort((a, b) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0))
    const key = sorted.map((e) => `${e.origin} ${e.host} ${e.weight}`).join('\n')
    this.metrics.setDiscoveryTargets(this.upstream, sorted.length)
    if (key === this.answerKey) return
    const before = new Set(this.answer.map((e) => e.origin))
    const after = new Set(sorted.map((e) => e.origin))
    this.logger.info({
      upstream: this.upstream,
      name: this.name,
      targets: sorted.length,
      added: sorted.filter((e) => !before.has(e.origin)).map((e) => e.origin),
      removed: this.answer.filter((e) => !after.has(e.origin)).map((e) => e.origin)
    }, 'discovery: targets changed')
    this.answer = Object.freeze(sorted)
    this.answerKey = key
    this.emit('change', this.answer)
  }
}
