// The cache in Redis, shared by every replica: one binary value per key (entry.ts)
// with a PX TTL. Redis is never in the way: while it is down, when a command fails or
// when it does not answer within the request's redis.timeout, the failure is counted
// and logged by the link and the request is served uncached. Writes are sent in the
// background and wait at most redis.timeout too.
import { createHash } from 'node:crypto'
import type { RedisBudget, RedisLink } from '../redis/link.js'
import { decodeRecord, encodeRecord, type CacheRecord } from './entry.js'
import { UNAVAILABLE, type CacheStore, type Lookup } from './store.js'

export class RedisStore implements CacheStore {
  constructor (private readonly link: RedisLink) {}

  /** Keys carry client-chosen paths and header values: a fixed-length digest keeps them small. */
  private redisKey (key: string): string {
    return this.link.key('cache', createHash('sha256').update(key).digest('base64url'))
  }

  get (key: string, budget?: RedisBudget): Lookup | Promise<Lookup> {
    return this.link.run('cache', async (client) => {
      const value = await client.getBuffer(this.redisKey(key))
      return value === null ? undefined : decodeRecord(value)
    }, () => UNAVAILABLE, budget)
  }

  set (key: string, record: CacheRecord, ttlMs: number): void {
    void this.link.run('cache', async (client) => await client.set(this.redisKey(key), encodeRecord(record), 'PX', Math.max(1, Math.ceil(ttlMs))), () => undefined)
  }

  delete (key: string): void {
    void this.link.run('cache', async (client) => await client.del(this.redisKey(key)), () => undefined)
  }
}
