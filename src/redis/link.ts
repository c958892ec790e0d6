// The gateway's one Redis connection (ioredis), shared by every policy that keeps
// state across replicas: rate limits, DDoS blocks, IP rules, the response cache.
//
// Redis is a helper, never in a request's way for long:
// - a request waits at most `redis.timeout` for all of its Redis calls together (its
//   RedisBudget); past it, that call is served by its fallback (in-process state, or
//   uncached) and the late reply is ignored;
// - after a few consecutive failures or timeouts the breaker (breaker.ts) opens and
//   the request path stops calling Redis until a background probe is answered;
// - nothing grows while Redis stalls: no offline queue, a stalled socket is dropped
//   (connect.ts), and at most MAX_IN_FLIGHT commands are ever awaiting a reply.
// A failure is counted in turnpike_redis_errors_total and logged at most once per
// LOG_EVERY_MS; each breaker transition is logged once and emitted ('down' / 'up').
import { EventEmitter } from 'node:events'
import { performance } from 'node:perf_hooks'
import type { RedisOptions } from 'ioredis'
import type { Logger } from 'pino'
import type { GatewayMetrics } from '../metrics.js'
import { redactUrl } from '../config/redact.js'
import { RedisBreaker, type BreakerState } from './breaker.js'
import { connect, queuedCommands, type RedisClient } from './connect.js'

export type { RedisClient } from './connect.js'
export { connect } from './connect.js'

const LOG_EVERY_MS = 10_000
/** Commands awaiting a reply, at most; past it a call is served by its fallback without Redis. */
export const MAX_IN_FLIGHT = 1024
/** How long a background call (IP-rule sync, admin changes) waits. */
const BACKGROUND_WAIT_MS = 1000
export const DEFAULT_TIMEOUT_MS = 50

const NOT_CONNECTED = 'redis is not connected'
const FAILED = Symbol('redis call failed')

/**
 * What a request has spent waiting for Redis, in ms: the request context carries it, so
 * every Redis call of one request draws on one `redis.timeout`.
 */
export interface RedisBudget {
  redisWaited: number
}

/** The link as admin GET /stats shows it. */
export interface RedisLinkStats extends BreakerState {
  readonly url: string
  readonly connection: string
  readonly timeoutMs: number
  /** Commands sent through the link and not yet answered. */
  readonly inFlight: number
}

function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

export class RedisLink extends EventEmitter<{ up: [], down: [reason: string] }> {
  readonly client: RedisClient
  /** The most a request waits for Redis (redis.timeout); set again on each reload. */
  timeout = DEFAULT_TIMEOUT_MS
  private readonly breaker: RedisBreaker
  private pending = 0
  private lastLog = 0
  private suppressed = 0

  constructor (readonly url: string, readonly keyPrefix: string, private readonly logger: Logger, private readonly metrics: GatewayMetrics, options: RedisOptions = {}) {
    super()
    this.client = connect(url, options)
    const probeKey = this.key('probe')
    this.breaker = new RedisBreaker(async () => await this.client.exists(probeKey), (open, reason) => { this.transition(open, reason) })
    // ioredis emits 'error' on every failed (re)connect and when it drops a stalled
    // socket; unhandled it would crash the process. Each counts toward the breaker, so
    // an unreachable Redis opens it even with no traffic.
    this.client.on('error', (err: Error) => { this.failed(err, 'connection') })
    this.client.on('ready', () => {
      this.logger.info({ redis: redactUrl(url) }, 'redis connected')
      this.breaker.probeNow()
    })
  }

  /** True while the request path may call Redis: connected and the breaker closed. */
  get ready (): boolean {
    return this.client.status === 'ready' && !this.breaker.open
  }

  /** Commands sent through the link that await a reply. */
  get inFlight (): number {
    return this.pending
  }

  /** Replies the client itself still waits for, whoever sent the command. */
  get queued (): number {
    return queuedCommands(this.client)
  }

  get stats (): RedisLinkStats {
    return { url: redactUrl(this.url), connection: this.client.status, timeoutMs: this.timeout, inFlight: this.pending, ...this.breaker.snapshot }
  }

  /** A key in the gateway's namespace: `keyPrefix` + the parts joined by `:`. */
  key (...parts: string[]): string {
    return this.keyPrefix + parts.join(':')
  }

  /**
   * `command` on Redis, or `fallback()` when the link cannot answer in time: the breaker
   * is open, the connection is down, the command fails, or `budget` (the request's) runs
   * out first. Never rejects, so no Redis failure can fail a request. The fallback is
   * returned synchronously whenever Redis is not tried at all.
   */
  run<T, F> (doing: string, command: (client: RedisClient) => Promise<T>, fallback: () => F, budget?: RedisBudget): Promise<T | F> | F {
    if (this.breaker.open) return fallback()
    const wait = budget === undefined ? this.timeout : Math.floor(this.timeout - budget.redisWaited)
    if (wait <= 0 || this.pending >= MAX_IN_FLIGHT) return fallback()
    if (this.client.status !== 'ready') {
      this.failed(NOT_CONNECTED, doing)
      return fallback()
    }
    return this.send(doing, command, wait, budget, fallback)
  }

  /** For work off the request path: `command` within BACKGROUND_WAIT_MS, rejecting when Redis cannot answer. */
  async call<T> (doing: string, command: (client: RedisClient) => Promise<T>): Promise<T> {
    if (!this.ready) throw new Error(this.breaker.open ? 'redis breaker is open' : NOT_CONNECTED)
    const result = await this.send(doing, command, BACKGROUND_WAIT_MS, undefined, () => FAILED)
    if (result === FAILED) throw new Error(`redis ${doing} failed`)
    return result as T
  }

  /** Counts a failed Redis call and logs it (rate-limited); the caller falls back. */
  failed (err: unknown, doing: string): void {
    this.metrics.countRedisError()
    const message = messageOf(err)
    this.breaker.failed(message)
    const now = Date.now()
    if (now - this.lastLog < LOG_EVERY_MS || this.breaker.open) {
      this.suppressed++
      return
    }
    this.lastLog = now
    this.logger.warn({ redis: redactUrl(this.url), doing, err: message, suppressed: this.suppressed },
      'redis call failed; serving from in-process state')
    this.suppressed = 0
  }

  async close (): Promise<void> {
    this.breaker.stop()
    try {
      await this.client.quit()
    } catch {
      this.client.disconnect()
    }
  }

  private send<T, F> (doing: string, command: (client: RedisClient) => Promise<T>, wait: number, budget: RedisBudget | undefined, fallback: () => F): Promise<T | F> {
    this.pending++
    const started = performance.now()
    return new Promise<T | F>((resolve) => {
      let done = false
      /** Charges the wait to the request's budget; a timeout charges all of `wait` (a timer may fire a little early). */
      const finish = (timedOut: boolean): boolean => {
        if (done) return false
        done = true
        clearTimeout(timer)
        if (budget !== undefined) budget.redisWaited += timedOut ? Math.max(wait, performance.now() - started) : performance.now() - started
        return true
      }
      // The reply may still come after this; it is then ignored (and frees its slot).
      const timer = setTimeout(() => {
        if (!finish(true)) return
        this.failed(`no answer within ${wait} ms`, doing)
        resolve(fallback())
      }, wait)
      let sent: Promise<T>
      try {
        sent = command(this.client)
      } catch (err) {
        sent = Promise.reject(err)
      }
      sent.then((value) => {
        this.pending--
        if (!finish(false)) return
        this.breaker.succeeded()
        resolve(value)
      }, (err: unknown) => {
        this.pending--
        if (!finish(false)) return
        this.failed(err, doing)
        resolve(fallback())
      })
    })
  }

  private transition (open: boolean, reason: string): void {
    const redis = redactUrl(this.url)
    if (open) {
      this.logger.warn({ redis, err: reason }, 'redis breaker open: Redis is not called on the request path, serving from in-process state; probing once a second')
      this.emit('down', reason)
    } else {
      this.logger.info({ redis }, 'redis breaker closed: Redis answers again, shared state resumes')
      this.emit('up')
    }
  }
}
