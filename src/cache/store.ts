// The seam between the cache policy and where entries live: an in-process LRU
// (local-store.ts) or Redis shared by every replica (redis-store.ts).
import type { RedisBudget } from '../redis/link.js'
import type { CacheRecord } from './entry.js'

/** The store cannot answer now (Redis down, or slower than the request's budget): serve uncached. */
export const UNAVAILABLE = Symbol('cache store unavailable')

export type Lookup = CacheRecord | undefined | typeof UNAVAILABLE

export interface CacheStore {
  /** The record under `key`; synchronous where the store can be (no promise per hit in-process). */
  get (key: string, budget?: RedisBudget): Lookup | Promise<Lookup>
  /** Stores in the background; a failure is counted and otherwise ignored. */
  set (key: string, record: CacheRecord, ttlMs: number): void
  delete (key: string): void
  close? (): void | Promise<void>
}
