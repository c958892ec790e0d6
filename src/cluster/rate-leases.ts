// The primary's side of one rate limit without Redis (`server.workers` > 1): the
// gateway's one set of counters (a bounded LRU, as LocalStore keeps), answering the
// workers' checks and lending them blocks of budget (lease-terms.ts) so that a busy
// key far from its limit costs a message per block, not per request.
//
// Exactness: every admitted request is a unit this store counted, either checked here
// or taken here as part of a block, so `max: 10` never admits 11. Nor fewer: when a
// key comes close to its limit (no block can be granted any more, or a check is
// refused) the workers holding a block of that key are asked to give back what they
// have not used (`recall`), and from then on that key is counted check by check here.
// A worker that dies takes its unused units with it until the window ends (a bucket
// refills them); at most BLOCK_MAX per key.
import { LRUCache } from 'lru-cache'
import { counterFor, type Counter } from '../rate-limit/algorithms.js'
import { leasingFor, type Leasing } from '../rate-limit/leasing.js'
import { MAX_KEYS } from '../rate-limit/local-store.js'
import { limitOf, type RateRule } from '../rate-limit/rule.js'
import type { Endpoint } from './ipc.js'
import { blockFor, OP } from './lease-terms.js'

interface Entry {
  readonly state: object
  /** The workers that may hold a block of this key, with the id they know this store by. */
  holders: Map<Endpoint, number> | null
}

/** Asks `to` to give back its unused block of `key` (its store `id`). */
export type Recall = (to: Endpoint, id: number, key: string) => void

export class RateLeases {
  private readonly entries = new LRUCache<string, Entry>({ max: MAX_KEYS })
  private readonly counter: Counter<object>
  private readonly leasing: Leasing<object>
  private readonly limit: number

  constructor (rule: RateRule, private readonly workers: () => number, private readonly recall: Recall, private readonly now: () => number = Date.now) {
    this.counter = counterFor(rule)
    this.leasing = leasingFor(rule)
    this.limit = limitOf(rule)
  }

  /** One check or block request from `from`; pushes `current, ttl, granted, end` onto `out`. */
  answer (from: Endpoint, id: number, key: string, op: number, out: number[]): void {
    const now = this.now()
    let entry = this.entries.get(key)
    if (entry === undefined) {
      entry = { state: this.counter.fresh(now), holders: null }
      this.entries.set(key, entry)
    }
    let current: number
    let ttl = 0
    if (op === OP.refill) {
      current = this.leasing.used(entry.state, now)
    } else {
      const verdict = this.counter.check(entry.state, now)
      current = verdict.current
      ttl = verdict.ttl
      if (current > this.limit) {
        this.recallAll(entry, key)
        out.push(current, ttl, 0, 0)
        return
      }
    }
    let granted = 0
    if (op !== OP.check || entry.holders !== null) {
      const block = blockFor(this.leasing.room(entry.state, now), this.workers())
      if (block === 0) {
        this.recallAll(entry, key)
      } else if (op !== OP.check) {
        granted = block
        this.leasing.take(entry.state, now, block)
        ;(entry.holders ??= new Map()).set(from, id)
      }
    }
    out.push(current, ttl, granted, this.leasing.end(entry.state))
  }

  /** A worker's unused units of a block that was valid until `end`. */
  giveBack (key: string, units: number, end: number): void {
    const entry = this.entries.get(key)
    if (entry !== undefined) this.leasing.giveBack(entry.state, units, end)
  }

  close (): void {
    this.entries.clear()
  }

  private recallAll (entry: Entry, key: string): void {
    if (entry.holders === null) return
    for (const [to, id] of entry.holders) this.recall(to, id, key)
    entry.holders = null
  }
}
