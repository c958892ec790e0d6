// The breaker on the Redis link. Closed, the request path calls Redis. After
// OPEN_AFTER consecutive failures or timeouts (a refused connection, a stalled socket,
// a Cluster without a master for a slot) it opens: the request path stops calling Redis
// and serves from in-process state at once, and a probe goes to Redis about once a
// second, never more than one at a time, so a stalled Redis accumulates no probes.
// The first probe that is answered closes it and shared state resumes.
//
// The breaker only keeps the state; the link says what a failure is and what a probe
// sends, and is told of each transition once (log, gauge).

/** Consecutive failures that open the breaker. */
export const OPEN_AFTER = 3
export const PROBE_EVERY_MS = 1000

export interface BreakerState {
  readonly state: 'closed' | 'open'
  /** When the breaker last changed state (or was made), ms since the epoch. */
  readonly since: number
  readonly consecutiveFailures: number
  /** The last failure seen, for /stats; '' when none since the last close. */
  readonly lastError: string
}

export class RedisBreaker {
  private failures = 0
  private opened = false
  private since = Date.now()
  private lastError = ''
  private probing = false
  private stopped = false
  private timer: NodeJS.Timeout | null = null

  constructor (
    /** Sends one probe to Redis; resolves when Redis answered it. */
    private readonly probe: () => Promise<unknown>,
    /** Told once per transition: open with the failure that opened it, or closed. */
    private readonly changed: (open: boolean, reason: string) => void
  ) {}

  get open (): boolean {
    return this.opened
  }

  get snapshot (): BreakerState {
    return { state: this.opened ? 'open' : 'closed', since: this.since, consecutiveFailures: this.failures, lastError: this.lastError }
  }

  /** An answer from Redis on the request path. */
  succeeded (): void {
    this.failures = 0
  }

  failed (reason: string): void {
    this.lastError = reason
    if (this.opened || this.stopped) return
    if (++this.failures < OPEN_AFTER) return
    this.opened = true
    this.since = Date.now()
    this.changed(true, reason)
    this.timer = setInterval(() => { this.probeNow() }, PROBE_EVERY_MS).unref()
  }

  /** Probes now unless closed or a probe is still out (the connection came back, or the timer fired). */
  probeNow (): void {
    if (!this.opened || this.probing || this.stopped) return
    this.probing = true
    let sent: Promise<unknown>
    try {
      sent = this.probe()
    } catch (err) {
      sent = Promise.reject(err)
    }
    sent.then(() => {
      this.probing = false
      this.close()
    }, (err: unknown) => {
      this.probing = false
      this.lastError = err instanceof Error ? err.message : String(err)
    })
  }

  stop (): void {
    this.stopped = true
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  private close (): void {
    if (!this.opened || this.stopped) return
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    this.opened = false
    this.failures = 0
    this.lastError = ''
    this.since = Date.now()
    this.changed(false, '')
  }
}
