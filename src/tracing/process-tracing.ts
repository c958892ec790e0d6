// Which tracer provider each config generation gets, across reloads. A generation
// captures its provider (or null) when it is built, so the request path never looks
// anything up. On reload:
// - `tracing` unchanged: the same provider goes on;
// - enabled → disabled: the new generation gets null; the old provider keeps serving
//   the requests still in older generations, then flushes and stops;
// - a new endpoint or sampleRatio: a new provider for the new generation, the old one
//   flushed and stopped once the older generations are idle;
// - disabled → enabled: a new provider from the next generation on.
// A generation that fails to build gives back the provider made for it.
import type { Logger } from 'pino'
import { redactUrl } from '../config/redact.js'
import type { Tracing, TracingConfig } from './provider.js'

/**
 * How long a shutdown waits for the last spans to reach the collector. The exporter
 * retries a collector that is down for up to its 5 s timeout; the process should not.
 */
const FLUSH_BUDGET_MS = 3000

export class ProcessTracing {
  private current: Tracing | null = null
  /** The provider handed to the generation being built; undefined while none is. */
  private next: Tracing | null | undefined
  /** Replaced providers still flushing or waiting for older generations. */
  private readonly retiring = new Set<Tracing>()

  constructor (private readonly logger: Logger) {}

  /** The provider for the generation about to be built from `config`; null for tracing off. */
  async configure (config: Readonly<TracingConfig> | undefined): Promise<Tracing | null> {
    if (config?.enabled !== true) this.next = null
    else if (this.current?.sameAs(config) === true) this.next = this.current
    else this.next = new (await import('./provider.js')).Tracing(config, this.logger)
    return this.next
  }

  /** The generation was not built: stop what configure() started for it. */
  rollback (): void {
    const next = this.next
    this.next = undefined
    if (next !== undefined && next !== null && next !== this.current) void next.shutdown()
  }

  /**
   * The new generation is in: its provider becomes the current one. A replaced
   * provider stops once `olderIdle` resolves (the requests still in older generations
   * have ended their spans).
   */
  commit (olderIdle: Promise<unknown>): void {
    const previous = this.current
    this.current = this.next ?? null
    this.next = undefined
    if (previous === this.current) return
    if (previous !== null) {
      this.retiring.add(previous)
      void olderIdle.then(async () => {
        await previous.shutdown()
        this.retiring.delete(previous)
      })
    }
    const settings = this.current?.settings
    this.logger.info({ tracing: settings === undefined ? 'off' : { ...settings, endpoint: redactUrl(settings.endpoint) } }, 'tracing configured')
  }

  /** Flushes and stops every provider, waiting at most FLUSH_BUDGET_MS. */
  async shutdown (): Promise<void> {
    const all = [...this.retiring, ...(this.current === null ? [] : [this.current])]
    if (all.length === 0) return
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<boolean>((resolve) => { timer = setTimeout(() => { resolve(true) }, FLUSH_BUDGET_MS) })
    const expired = await Promise.race([Promise.all(all.map(async (t) => { await t.shutdown() })).then(() => false), late])
    clearTimeout(timer)
    if (expired) this.logger.warn({ budgetMs: FLUSH_BUDGET_MS }, 'trace export did not finish in time; the last spans are lost')
  }
}
