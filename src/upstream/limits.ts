// Per-target upstream limits: at most `maxConnections` requests in flight to one target
// (with one request per connection, that is its connections), up to `maxPending` more
// waiting in order for at most `pendingTimeout`. The gate lives on the target's
// long-lived state, so a reload keeps its count; a reload that changes the limits
// changes them in place.
//
// undici's Pool would queue without bound; the gate is what turns "too much" into a
// quick, explicit 503 instead of a growing queue of requests that time out anyway.
import type { LimitsConfig } from '../config/schema.js'
import type { GatewayMetrics } from '../metrics.js'

interface Waiter {
  readonly admit: (admitted: boolean) => void
  readonly timer: NodeJS.Timeout
}

export class TargetGate {
  private inUse = 0
  private readonly waiting: Waiter[] = []

  constructor (readonly upstream: string, private limits: Readonly<LimitsConfig>, private readonly metrics: GatewayMetrics) {}

  get config (): Readonly<LimitsConfig> {
    return this.limits
  }

  /** Whether a request would go at once (balancers prefer targets where it would). */
  get hasRoom (): boolean {
    return this.inUse < this.limits.maxConnections
  }

  /** Requests in flight under the gate. */
  get active (): number {
    return this.inUse
  }

  get pending (): number {
    return this.waiting.length
  }

  /** The limits of the newest config; a larger cap lets waiters in at once. */
  configure (limits: Readonly<LimitsConfig>): void {
    this.limits = limits
    while (this.waiting.length > 0 && this.inUse < limits.maxConnections) {
      this.inUse++
      this.handOver(true)
    }
  }

  /** Takes a slot if one is free. */
  tryEnter (): boolean {
    if (this.inUse >= this.limits.maxConnections) return false
    this.inUse++
    return true
  }

  /**
   * Waits for a slot (after tryEnter said no). Resolves true with the slot taken, or
   * false (counted) when the queue is full or pendingTimeout passed first.
   */
  async wait (): Promise<boolean> {
    if (this.tryEnter()) return true
    if (this.waiting.length >= this.limits.maxPending) {
      this.metrics.countOverloaded(this.upstream)
      return false
    }
    return await new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        admit: resolve,
        timer: setTimeout(() => {
          const i = this.waiting.indexOf(waiter)
          if (i !== -1) this.waiting.splice(i, 1)
          this.metrics.addPending(this.upstream, -1)
          this.metrics.countOverloaded(this.upstream)
          resolve(false)
        }, this.limits.pendingTimeout).unref()
      }
      this.waiting.push(waiter)
      this.metrics.addPending(this.upstream, 1)
    })
  }

  /** A request that entered is done: its slot goes to the oldest waiter, if any. */
  leave (): void {
    if (this.waiting.length > 0 && this.inUse <= this.limits.maxConnections) {
      this.handOver(true)
      return
    }
    this.inUse--
  }

  private handOver (admitted: boolean): void {
    const next = this.waiting.shift() as Waiter
    clearTimeout(next.timer)
    this.metrics.addPending(this.upstream, -1)
    next.admit(admitted)
  }
}
