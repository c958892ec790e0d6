// In-process counters for one route's limit: a bounded LRU (100 000 keys by default), so
// a spray of distinct keys (IPs, header values) evicts the least recently seen
// counters instead of growing memory. Used alone without Redis, and as the fallback
// while Redis is unreachable; kept across reloads through `edge.keep`.
import { LRUCache } from 'lru-cache'
import { counterFor, type Counter, type Verdict } from './algorithms.js'
import type { RedisBudget } from '../redis/link.js'
import type { RateRule } from './rule.js'

export const MAX_KEYS = 100_000

export interface RateStore {
  /**
   * Counts one request under `key`. `budget` is the request's Redis budget: a store that
   * calls Redis waits no longer than it allows (RedisLink.run); others ignore it.
   */
  check (key: string, budget?: RedisBudget): Verdict | Promise<Verdict>
}

export class LocalStore implements RateStore {
  private readonly counters: LRUCache<string, object>
  private readonly counter: Counter<object>

  constructor (rule: RateRule, private readonly now: () => number = Date.now, maxKeys = MAX_KEYS) {
    this.counter = counterFor(rule)
    this.counters = new LRUCache({ max: maxKeys })
  }

  check (key: string): Verdict {
    const now = this.now()
    let state = this.counters.get(key)
    if (state === undefined) {
      state = this.counter.fresh(now)
      this.counters.set(key, state)
    }
    return this.counter.check(state, now)
  }

  /** Keys held now (never more than the cap). */
  get size (): number {
    return this.counters.size
  }

  close (): void {
    this.counters.clear()
  }
}
