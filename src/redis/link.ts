// The gateway's one Redis connection (ioredis), shared by every policy that keeps
// state across replicas: rate limits, DDoS blocks, IP rules, the response cache.
//
// Redis is a helper, never a dependency of the data plane: commands fail fast while
// the connection is down (no offline queue, a command timeout), and every caller has
// an in-process fallback or serves uncached. A failure is counted in
// turnpike_redis_errors_total and logged at most once per LOG_EVERY_MS.
import { Cluster, Redis, type RedisOptions } from 'ioredis'
import type { Logger } from 'pino'
import { countRedisError } from '../metrics.js'
import { redactUrl } from '../config/redact.js'

const LOG_EVERY_MS = 10_000
const NOT_CONNECTED = new Error('redis is not connected')

/** Options every connection gets: fail fast, reconnect forever with a capped backoff. */
const FAIL_FAST: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: 2000,
  commandTimeout: 1000,
  retryStrategy: (times) => Math.min(times * 200, 5000),
  lazyConnect: false
}

export type RedisClient = Redis | Cluster

/**
 * `redis.url` forms: `redis://…` / `rediss://…` (standalone), `cluster:URL,URL,…`
 * (Redis Cluster seed nodes), `sentinels:MASTER@HOST:PORT,HOST:PORT,…` (Sentinel).
 */
export function connect (url: string, options: RedisOptions = {}): RedisClient {
  const merged = { ...FAIL_FAST, ...options }
  if (url.startsWith('cluster:')) {
    const nodes = url.slice('cluster:'.length).split(',').map((u) => {
      const parsed = new URL(u.trim())
      return { host: parsed.hostname, port: Number(parsed.port || 6379) }
    })
    return new Cluster(nodes, { enableOfflineQueue: false, redisOptions: merged })
  }
  if (url.startsWith('sentinels:')) {
    const spec = url.slice('sentinels:'.length)
    const at = spec.indexOf('@')
    const name = spec.slice(0, at)
    const sentinels = spec.slice(at + 1).split(',').map((hp) => {
      const [host = '', port = '26379'] = hp.trim().split(':')
      return { host, port: Number(port) }
    })
    return new Redis({ ...merged, name, sentinels })
  }
  return new Redis(url, merged)
}

export class RedisLink {
  readonly client: RedisClient
  private lastLog = 0
  private suppressed = 0

  constructor (readonly url: string, readonly keyPrefix: string, private readonly logger: Logger, options: RedisOptions = {}) {
    this.client = connect(url, options)
    // ioredis emits 'error' on every failed (re)connect; unhandled it would crash the process.
    this.client.on('error', (err: Error) => { this.failed(err, 'connection') })
    this.client.on('ready', () => { this.logger.info({ redis: redactUrl(url) }, 'redis connected') })
  }

  /** True while commands can be sent; callers skip Redis (and use their fallback) otherwise. */
  get ready (): boolean {
    return this.client.status === 'ready'
  }

  /** A key in the gateway's namespace: `keyPrefix` + the parts joined by `:`. */
  key (...parts: string[]): string {
    return this.keyPrefix + parts.join(':')
  }

  /**
   * `command` on Redis, or `fallback()` while the link is down or when the command fails
   * (counted and logged as `doing`). Never rejects: every policy's Redis call goes
   * through here, so none can turn a Redis failure into a failed request. The fallback
   * is returned synchronously while the link is down.
   */
  run<T, F> (doing: string, command: (client: RedisClient) => Promise<T>, fallback: () => F): Promise<T | F> | F {
    if (!this.ready) {
      this.failed(NOT_CONNECTED, doing)
      return fallback()
    }
    return command(this.client).then(undefined, (err: unknown) => {
      this.failed(err, doing)
      return fallback()
    })
  }

  /** Counts a failed Redis call and logs it (rate-limited); the caller falls back. */
  failed (err: unknown, doing: string): void {
    countRedisError()
    const now = Date.now()
    if (now - this.lastLog < LOG_EVERY_MS) {
      this.suppressed++
      return
    }
    this.lastLog = now
    const message = err instanceof Error ? err.message : String(err)
    this.logger.warn({ redis: redactUrl(this.url), doing, err: message, suppressed: this.suppressed },
      'redis call failed; serving from in-process state')
    this.suppressed = 0
  }

  async close (): Promise<void> {
    try {
      await this.client.quit()
    } catch {
      this.client.disconnect()
    }
  }
}
