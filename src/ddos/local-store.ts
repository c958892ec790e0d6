// In-process DDoS counters and blocks: one fixed window per address, in an LRU bounded
// at MAX_ADDRESSES so a spray of addresses cannot exhaust memory (the least recently
// seen address is forgotten first, block included). The clock is injectable for tests.
import { LRUCache } from 'lru-cache'
import type { DdosSettings } from './settings.js'

export const MAX_ADDRESSES = 100_000

export interface DdosEntry {
  count: number
  windowEnds: number
  blockedUntil: number
}

export const freshEntry = (settings: DdosSettings, now: number): DdosEntry => ({ count: 0, windowEnds: now + settings.window, blockedUntil: 0 })

/** Counts one request from the entry's address: 0 when it is admitted, else the milliseconds its block has left. */
export function hitEntry (entry: DdosEntry, settings: DdosSettings, now: number): number {
  if (entry.blockedUntil > now) return entry.blockedUntil - now
  if (entry.windowEnds <= now) {
    entry.count = 0
    entry.windowEnds = now + settings.window
  }
  if (++entry.count <= settings.threshold) return 0
  // The count starts over once the block ends, as the Redis script does.
  entry.blockedUntil = now + settings.blockFor
  entry.count = 0
  entry.windowEnds = entry.blockedUntil
  return settings.blockFor
}

export class LocalDdosStore {
  private readonly entries: LRUCache<string, DdosEntry>

  constructor (private readonly settings: DdosSettings, private readonly now: () => number = Date.now, max = MAX_ADDRESSES) {
    this.entries = new LRUCache({ max })
  }

  /** 0 when the request is admitted, else the milliseconds its block has left. */
  hit (ip: string): number {
    const now = this.now()
    let entry = this.entries.get(ip)
    if (entry === undefined) {
      entry = freshEntry(this.settings, now)
      this.entries.set(ip, entry)
    }
    return hitEntry(entry, this.settings, now)
  }

  /** Frees the counters when no generation uses these settings any more. */
  close (): void {
    this.entries.clear()
  }
}
