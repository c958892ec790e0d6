// The primary's side of the DDoS count without Redis (`server.workers` > 1): one window
// and block per address for the whole gateway (the arithmetic of LocalDdosStore),
// answering the workers' checks and lending them blocks of an address's threshold
// while it is far from it (lease-terms.ts), as rate-leases.ts does for rate limits.
//
// An address is blocked by a check here, never from a block: blocks are granted only
// far from the threshold, and as the address nears it (or is blocked) every worker
// holding a block of it is asked to give it back (`recall`) and to ask here from then
// on. So a block takes effect on every worker as soon as the recall arrives, within
// milliseconds, and the threshold counts the whole gateway exactly.
import { LRUCache } from 'lru-cache'
import { freshEntry, hitEntry, MAX_ADDRESSES, type DdosEntry } from '../ddos/local-store.js'
import type { DdosSettings } from '../ddos/settings.js'
import type { Endpoint } from './ipc.js'
import { blockFor, OP } from './lease-terms.js'
import type { Recall } from './rate-leases.js'

interface Entry extends DdosEntry {
  holders: Map<Endpoint, number> | null
}

export class DdosLeases {
  private readonly entries = new LRUCache<string, Entry>({ max: MAX_ADDRESSES })

  constructor (private readonly settings: DdosSettings, private readonly workers: () => number, private readonly recall: Recall, private readonly now: () => number = Date.now) {}

  /** Pushes `left, 0, granted, end` onto `out`: left is 0 to admit, else the ms the address's block has left. */
  answer (from: Endpoint, id: number, ip: string, op: number, out: number[]): void {
    const now = this.now()
    let entry = this.entries.get(ip)
    if (entry === undefined) {
      entry = { ...freshEntry(this.settings, now), holders: null }
      this.entries.set(ip, entry)
    }
    const left = op === OP.refill ? Math.max(0, entry.blockedUntil - now) : hitEntry(entry, this.settings, now)
    if (left > 0) {
      this.recallAll(entry, ip)
      out.push(left, 0, 0, 0)
      return
    }
    let granted = 0
    if (op !== OP.check || entry.holders !== null) {
      if (entry.windowEnds <= now) {
        entry.count = 0
        entry.windowEnds = now + this.settings.window
      }
      const block = blockFor(this.settings.threshold - entry.count, this.workers())
      if (block === 0) {
        this.recallAll(entry, ip)
      } else if (op !== OP.check) {
        granted = block
        entry.count += block
        ;(entry.holders ??= new Map()).set(from, id)
      }
    }
    out.push(0, 0, granted, entry.windowEnds)
  }

  /** A worker's unused units of a block that was valid until `end` (the window it was taken from). */
  giveBack (ip: string, units: number, end: number): void {
    const entry = this.entries.get(ip)
    if (entry !== undefined && entry.windowEnds === end) entry.count = Math.max(0, entry.count - units)
  }

  close (): void {
    this.entries.clear()
  }

  private recallAll (entry: Entry, ip: string): void {
    if (entry.holders === null) return
    for (const [to, id] of entry.holders) this.recall(to, id, ip)
    entry.holders = null
  }
}
