// Route retries (`retry`): which failures are retried, how long to wait before
// the next attempt, and the per-upstream budget that keeps retries from multiplying
// the load on an upstream that is failing anyway. All of it is worked out once per
// config generation; the clock and randomness are injected so tests need no sleeps.
import type { RouteConfig } from '../config/schema.js'


/** Bodies up to this size (with a Content-Length) are buffered so they can be replayed; of a gRPC body, this much is copied as it streams. */
export const MAX_REPLAY_BODY = 64 * 1024

const CONNECT_FAILURE: ReadonlySet<string> = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'])
const TIMEOUT: ReadonlySet<string> = new Set(['UND_ERR_HEADERS_TIMEOUT'])
const RESET: ReadonlySet<string> = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED'])

export class RetryPolicy {
  /** Extra attempts after the first. */
  readonly attempts: number
  readonly backoff: number
  readonly maxBackoff: number
  private readonly statuses: ReadonlySet<number>
  private readonly conditions: ReadonlySet<string>

  constructor (config: NonNullable<RouteConfig['retry']>) {
    this.attempts = config.attempts
    this.backoff = config.backoff
    this.maxBackoff = config.maxBackoff
    this.statuses = new Set(config.on.filter((v) => typeof v === 'number'))
    this.conditions = new Set(config.on.filter((v) => typeof v === 'string'))
  }

  /** An answer with this status is discarded and retried (attempts permitting). */
  retriesStatus (status: number): boolean {
    return this.statuses.has(status)
  }

  /** A failure before any response (undici's error code) is retried. */
  retriesError (err: unknown): boolean {
    const code = errorCode(err)
    if (code === undefined) return false
    if (CONNECT_FAILURE.has(code)) return this.conditions.has('connect-failure')
    if (TIMEOUT.has(code)) return this.conditions.has('timeout')
    if (RESET.has(code)) return this.conditions.has('reset')
    return false
  }

  /**
   * The wait before retry number `retry` (1-based): exponential backoff with full
   * jitter, a uniform draw in [0, min(maxBackoff, backoff × 2^(retry-1))).
   */
  delay (retry: number, random: () => number): number {
    const ceiling = Math.min(this.maxBackoff, this.backoff * 2 ** (retry - 1))
    return Math.floor(random() * ceiling)
  }
}

function errorCode (err: unknown): string | undefined {
  let e = err as { code?: string, cause?: unknown } | undefined
  for (let i = 0; i < 4 && e !== undefined && e !== null; i++) {
    if (typeof e.code === 'string' && (CONNECT_FAILURE.has(e.code) || TIMEOUT.has(e.code) || RESET.has(e.code))) return e.code
    e = e.cause as typeof e
  }
  return (err as { code?: string } | undefined)?.code
}

const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])

/** GET, HEAD, OPTIONS, PUT, DELETE; POST and PATCH only with an Idempotency-Key. */
export function mayRetryMethod (method: string, headers: Record<string, unknown>): boolean {
  if (IDEMPOTENT.has(method)) return true
  return (method === 'POST' || method === 'PATCH') && headers['idempotency-key'] !== undefined
}

/**
 * Per upstream: retries may add at most `ratio` of the requests seen over a sliding
 * window (ten one-second buckets), plus a reserve of `minPerSecond` for every second
 * of the window so a quiet upstream can still retry (Finagle's RetryBudget). Under a
 * 50% failure rate an upstream so sees at most ~1.2× its load, never 3×.
 */
export class RetryBudget {
  private readonly requests: number[]
  private readonly retries: number[]
  private bucket = 0
  private bucketAt: number

  constructor (private readonly ratio = 0.2, private readonly minPerSecond = 3,
    private readonly buckets = 10, private readonly bucketMs = 1000,
    private readonly now: () => number = () => performance.now()) {
    this.requests = new Array<number>(buckets).fill(0)
    this.retries = new Array<number>(buckets).fill(0)
    this.bucketAt = now()
  }

  /** A request (its first attempt) on a route that may retry. */
  request (): void {
    this.rotate()
    this.requests[this.bucket]!++
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryRetry (): boolean {
    this.rotate()
    let requests = 0
    let retries = 0
    for (let i = 0; i < this.buckets; i++) { requests += this.requests[i]!; retries += this.retries[i]! }
    const reserve = this.minPerSecond * this.buckets * this.bucketMs / 1000
    if (retries + 1 > this.ratio * requests + reserve) return false
    this.retries[this.bucket]!++
    return true
  }

  private rotate (): void {
    const now = this.now()
    let steps = Math.floor((now - this.bucketAt) / this.bucketMs)
    if (steps <= 0) return
    this.bucketAt += steps * this.bucketMs
    if (steps > this.buckets) steps = this.buckets
    for (let i = 0; i < steps; i++) {
      this.bucket = (this.bucket + 1) % this.buckets
      this.requests[this.bucket] = 0
      this.retries[this.bucket] = 0
    }
  }
}
