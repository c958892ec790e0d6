// The cache in Redis, shared by every replica: one binary value per key (entry.ts)
// with a PX TTL. Redis is never in the way: while it is down, or when a command fails
// (the link's 1 s command timeout included), the failure is counted and logged by
// the link and the request is served uncached.
import { createHash } from 'node:crypto'
import type { RedisLink } from '../redis/link.js'
import { decodeRecord, encodeRecord, type CacheRecord } from './entry.js'
import { UNAVAILABLE, type CacheStore, type Lookup } from './store.js'

export class RedisStore implements CacheStore {
  constructor (private readonly link: RedisLink) {}

  /** Keys carry client-chosen paths and header values: a fixed-length digest keeps them small. */
  private redisKey (key: string): string {
    return this.link.key('cache', createHash('sha256').update(key).digest('base64url'))
  }

  get (key: string): Lookup | Promise<Lookup> {
    return this.link.run('cache', async (client) => {
      const value = await client.getBuffer(this.redisKey(key))
      return value === null ? undefined : decodeRecord(value)
    }, () => UNAVAILABLE)
  }

  set (key: string, record: CacheRecord, ttlMs: number): void {
    void this.link.run('cache', async (client) => await client.set(this.redisKey(key), encodeRecord(record), 'PX', Math.max(1, Math.ceil(ttlMs))), () => undefined)
  }

  delete (key: string): void {
    void this.link.run('cache', async (client) => await client.del(this.redisKey(key)), () => undefined)
  }
}
