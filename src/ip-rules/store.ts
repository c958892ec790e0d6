// The run-time IP rule changes of this process (PUT/DELETE /ip-rules/…), kept across
// config reloads: a reload replaces the config's lists, never these. Lives in EdgeState,
// so the data-plane policy and the admin API see the same object.
//
// Each generation compiles (config lists + these changes) into an IpRuleSet and
// recompiles when `version` moves, so a change costs one compile per generation and a
// request costs one number comparison.
import type { RedisLink } from '../redis/link.js'
import { changeKey, type Change, type ListName } from './lists.js'
import { IpRuleSync, type SyncTarget } from './redis-sync.js'

export type RedisState = 'off' | 'connected' | 'down'

export class IpRuleStore implements SyncTarget {
  /** Moves on every change of the run-time rules. */
  version = 0
  private changes = new Map<string, Change>()
  private sync: IpRuleSync | null = null
  /**
   * Runs after every change of the rules; a cluster primary passes them on to its
   * workers here, and change() answers once they have them.
   */
  onChange: ((changes: ReadonlyMap<string, Change>) => Promise<void>) | null = null
  private propagated: Promise<void> = Promise.resolve()

  snapshot (): ReadonlyMap<string, Change> {
    return this.changes
  }

  get redis (): RedisState {
    if (this.sync === null) return 'off'
    return this.sync.connected ? 'connected' : 'down'
  }

  /**
   * Records a run-time change (null: forget the entry's run-time state, so the config
   * decides again). Applies here at once; `persisted` tells whether Redis has it.
   */
  async change (list: ListName, cidr: string, change: Change | null): Promise<{ persisted: boolean }> {
    const key = changeKey(list, cidr)
    if (this.sync === null) {
      this.apply(key, change)
      await this.propagated
      return { persisted: false }
    }
    const persisted = await this.sync.change(key, change)
    await this.propagated
    return { persisted }
  }

  apply (key: string, change: Change | null): void {
    if ((this.changes.get(key) ?? null) === change) return
    if (change === null) this.changes.delete(key)
    else this.changes.set(key, change)
    this.changed()
  }

  /** The shared state read from Redis becomes ours; no version bump when nothing changed. */
  replace (changes: Map<string, Change>): void {
    const same = changes.size === this.changes.size &&
      [...changes].every(([key, change]) => this.changes.get(key) === change)
    if (same) return
    this.changes = changes
    this.changed()
  }

  private changed (): void {
    this.version++
    if (this.onChange !== null) this.propagated = this.onChange(this.changes).catch(() => undefined)
  }

  /** Follows the Redis link of the running config (EdgeState.configure / rollback). */
  attach (link: RedisLink | null): void {
    if (this.sync?.link === link) return
    this.sync?.close()
    this.sync = link === null ? null : new IpRuleSync(link, this)
  }

  close (): void {
    this.sync?.close()
    this.sync = null
  }
}
