// The in-process cache store: an LRU bounded by bytes, each entry with its own TTL, so
// neither many small answers nor a few large ones can grow the heap past `maxSize`.
// Kept across config reloads (plugins/cache.ts asks for it with edge.keep).
import { LRUCache } from 'lru-cache'
import { recordSize, type CacheRecord } from './entry.js'
import type { CacheStore, Lookup } from './store.js'

export const LOCAL_MAX_SIZE = 64 * 1024 * 1024

export interface LocalStoreOptions {
  /** Byte budget for keys and records. */
  readonly maxSize?: number
  /** Clock for the TTLs (tests); performance.now by default. */
  readonly clock?: { now: () => number }
}

export class LocalStore implements CacheStore {
  private readonly lru: LRUCache<string, CacheRecord>

  constructor (options: LocalStoreOptions = {}) {
    this.lru = new LRUCache<string, CacheRecord>({
      maxSize: options.maxSize ?? LOCAL_MAX_SIZE,
      sizeCalculation: (record, key) => recordSize(record) + key.length,
      ...(options.clock === undefined ? {} : { perf: options.clock, ttlResolution: 0 })
    })
  }

  /** Bytes held now (never more than maxSize). */
  get calculatedSize (): number {
    return this.lru.calculatedSize
  }

  get (key: string): Lookup {
    return this.lru.get(key)
  }

  set (key: string, record: CacheRecord, ttlMs: number): void {
    // A record larger than the whole budget is silently not stored (lru-cache's maxEntrySize).
    this.lru.set(key, record, { ttl: Math.max(1, Math.ceil(ttlMs)) })
  }

  delete (key: string): void {
    this.lru.delete(key)
  }

  close (): void {
    this.lru.clear()
  }
}
