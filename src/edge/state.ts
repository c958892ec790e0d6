// Process-wide state of the edge policies, owned by the Gateway and handed to every
// config generation: the Redis link (when `redis.url` is set) and whatever a policy
// keeps across reloads (in-process rate-limit counters, DDoS blocks, the cache, the
// run-time IP rules). A reload keeps rate-limit state for what did not change.
//
// A policy asks for its state with `keep(key, make)`, where the key names everything
// the state depends on (`rate-limit:users:sliding-window:100:60000`): an unchanged
// route finds its old counters, a changed one starts fresh. After a reload, state no
// generation asked for is closed (`sweep`).
import type { Logger } from 'pino'
import type { GatewayConfig } from '../config/schema.js'
import type { GatewayMetrics } from '../metrics.js'
import { DEFAULT_TIMEOUT_MS, RedisLink } from '../redis/link.js'
import { IpRuleStore } from '../ip-rules/store.js'
import type { SharedEdge } from './shared.js'

export type { SharedEdge }

/** State a policy keeps; `close` (optional) runs when no generation uses it any more. */
export interface Kept {
  close?: () => void | Promise<void>
}

export class EdgeState {
  private link: RedisLink | null = null
  /** The link and keys of the running generation while the next one is being built. */
  private before: { link: RedisLink | null, timeout: number, used: Set<string> } | null = null
  private readonly kept = new Map<string, object>()
  private used = new Set<string>()
  /** Run-time IP rules (admin API): read by the ip-rules policy of every generation. */
  readonly ipRules = new IpRuleStore()

  /**
   * `shared`: set in a cluster worker, whose limits and DDoS counts (without Redis) are
   * kept by the primary, and whose run-time IP rules the primary sends (it alone syncs
   * them with Redis).
   */
  constructor (private readonly logger: Logger, private readonly metrics: GatewayMetrics, readonly shared: SharedEdge | null = null) {}

  /** The shared Redis connection, or null when `redis.url` is not set (in-process only). */
  get redis (): RedisLink | null {
    return this.link
  }

  /**
   * Called before each generation is built: (re)connects Redis when its URL or prefix
   * changed, and starts a new round of `keep` bookkeeping. redis.timeout applies to
   * the link at once, without reconnecting (and is put back by `rollback`).
   */
  configure (config: Readonly<GatewayConfig>): void {
    this.before = { link: this.link, timeout: this.link?.timeout ?? DEFAULT_TIMEOUT_MS, used: this.used }
    this.used = new Set()
    const url = config.redis?.url ?? ''
    const prefix = config.redis?.keyPrefix ?? 'turnpike:'
    const timeout = config.redis?.timeout ?? DEFAULT_TIMEOUT_MS
    if (this.link?.url !== url || this.link.keyPrefix !== prefix) this.use(url === '' ? null : this.open(url, prefix))
    if (this.link !== null) this.link.timeout = timeout
  }

  /** The generation built after `configure` was not used: back to the running one's link and keys. */
  rollback (): void {
    if (this.before === null) return
    if (this.link !== this.before.link) {
      void this.link?.close()
      this.use(this.before.link)
    }
    if (this.link !== null) this.link.timeout = this.before.timeout
    this.used = this.before.used
    this.before = null
  }

  /** The state under `key`, made on first use; the same object for as long as some generation asks for it. */
  keep<T extends object> (key: string, make: () => T): T {
    this.used.add(key)
    let value = this.kept.get(key)
    if (value === undefined) {
      value = make()
      this.kept.set(key, value)
    }
    return value as T
  }

  /** After a successful swap: closes and forgets the state the new generation did not ask for. */
  sweep (): void {
    const old = this.before?.link ?? null
    this.before = null
    // The retiring generation may still send a command or two: close its link a little later.
    if (old !== null && old !== this.link) setTimeout(() => { void old.close() }, 5000).unref()
    for (const [key, value] of this.kept) {
      if (this.used.has(key)) continue
      this.kept.delete(key)
      void (value as Kept).close?.()
    }
  }

  async close (): Promise<void> {
    for (const value of this.kept.values()) await (value as Kept).close?.()
    this.kept.clear()
    this.ipRules.close()
    await this.link?.close()
    this.link = null
  }

  /** A link whose breaker drives turnpike_redis_up while it is the running one. */
  private open (url: string, prefix: string): RedisLink {
    const link = new RedisLink(url, prefix, this.logger, this.metrics)
    link.on('down', () => { if (this.link === link) this.metrics.setRedisUp(false) })
    link.on('up', () => { if (this.link === link) this.metrics.setRedisUp(true) })
    return link
  }

  private use (link: RedisLink | null): void {
    this.link = link
    this.metrics.setRedisUp(link === null ? null : link.stats.state === 'closed')
    // A cluster worker's run-time IP rules come from the primary, which alone syncs them with Redis.
    if (this.shared === null) this.ipRules.attach(link)
  }
}
