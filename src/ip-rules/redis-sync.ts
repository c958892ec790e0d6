// Shares the run-time IP rule changes between replicas through Redis: one hash under
// `ip-rules` (field `LIST CIDR`, value added|removed) is the shared truth, a publish on
// `ip-rules:changed` tells the other replicas to re-read it at once, and a periodic
// re-read catches a message missed while a subscriber was reconnecting.
//
// Redis down or stalled never blocks anything: a change applies in memory at once and
// is kept pending, then written when Redis is back (the link's breaker closes; before
// the first re-read, so the re-read cannot undo it). Every call goes through the link
// (RedisLink.call), so it waits a bounded time and counts toward the link's breaker. Every Redis call of one replica runs in one queue, so a write and a
// re-read never interleave, and re-reads never overlap.
import type { RedisClient, RedisLink } from '../redis/link.js'
import type { Change } from './lists.js'

const RESYNC_EVERY_MS = 5000

/** The in-memory side the sync keeps up to date (IpRuleStore). */
export interface SyncTarget {
  snapshot (): ReadonlyMap<string, Change>
  apply (key: string, change: Change | null): void
  replace (changes: Map<string, Change>): void
}

export class IpRuleSync {
  private readonly hash: string
  private readonly channel: string
  private readonly subscriber: RedisClient
  /** Changes made while Redis was unreachable, written on the next successful sync. */
  private readonly pending = new Map<string, Change | null>()
  private queue: Promise<unknown> = Promise.resolve()
  private resyncQueued = false
  private closed = false
  private readonly timer: NodeJS.Timeout
  private readonly onUp = (): void => { void this.resync() }

  constructor (readonly link: RedisLink, private readonly target: SyncTarget) {
    this.hash = link.key('ip-rules')
    this.channel = link.key('ip-rules', 'changed')
    // Rules made before this Redis was configured (a reload that adds redis.url) are
    // written to it rather than wiped by the first re-read.
    for (const [key, change] of target.snapshot()) this.pending.set(key, change)
    // Subscribing takes a connection of its own: a subscribed connection can send nothing else.
    this.subscriber = (link.client as { duplicate: () => RedisClient }).duplicate()
    // The main connection already counts and logs an outage; this one only reconnects.
    this.subscriber.on('error', () => {})
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(this.channel).catch(() => {})
      void this.resync()
    })
    this.subscriber.on('message', (channel: string) => {
      if (channel === this.channel) void this.resync()
    })
    link.on('up', this.onUp)
    link.client.on('ready', this.onUp)
    if (link.ready) void this.resync()
    this.timer = setTimeout(() => { void this.tick() }, RESYNC_EVERY_MS).unref()
  }

  get connected (): boolean {
    return this.link.ready
  }

  /** Applies a change here, then shares it; true when Redis has it. */
  async change (key: string, change: Change | null): Promise<boolean> {
    return await this.serial(async () => {
      this.target.apply(key, change)
      this.pending.set(key, change)
      return await this.flush('ip rules change')
    })
  }

  /** Re-reads the shared rules; a call while one is already queued joins it. */
  async resync (): Promise<void> {
    if (this.resyncQueued || this.closed) return
    this.resyncQueued = true
    await this.serial(async () => {
      this.resyncQueued = false
      if (!this.link.ready || !await this.flush('ip rules sync')) return
      try {
        const all = await this.link.call('ip rules sync', async (client) => await client.hgetall(this.hash))
        const changes = new Map<string, Change>()
        for (const [key, value] of Object.entries(all)) {
          if (value === 'added' || value === 'removed') changes.set(key, value)
        }
        if (!this.closed) this.target.replace(changes)
      } catch {
        // Counted and logged by the link; the next re-read tries again.
      }
    })
  }

  close (): void {
    this.closed = true
    clearTimeout(this.timer)
    this.link.off('up', this.onUp)
    this.link.client.off('ready', this.onUp)
    this.subscriber.disconnect()
  }

  private async tick (): Promise<void> {
    await this.resync()
    if (!this.closed) this.timer.refresh()
  }

  /** Writes the pending changes and tells the other replicas; false when Redis is unreachable. */
  private async flush (doing: string): Promise<boolean> {
    if (this.pending.size === 0) return true
    if (!this.link.ready) return false
    const writing = [...this.pending]
    try {
      for (const [key, change] of writing) {
        if (change === null) await this.link.call(doing, async (client) => await client.hdel(this.hash, key))
        else await this.link.call(doing, async (client) => await client.hset(this.hash, key, change))
        // A newer change of the same entry, made meanwhile, stays pending.
        if (this.pending.get(key) === change) this.pending.delete(key)
      }
      await this.link.call(doing, async (client) => await client.publish(this.channel, 'changed'))
      return true
    } catch {
      return false
    }
  }

  private async serial<T> (work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work)
    this.queue = run.catch(() => {})
    return await run
  }
}
