// Passive outlier detection for one target, fed by every attempt's outcome. Counts
// attempts and failures (5xx or no response) over a sliding `window` of ten buckets;
// once there are `minRequests` and the failure share reaches `errorRate`, the target
// is ejected for `ejectFor`. The way back is an unref'd timer, not traffic: an ejected
// target gets none. Counting starts afresh after an ejection.
import type { TargetHealth } from './target-health.js'
import type { OutlierDetectionConfig } from './types.js'

const BUCKETS = 10

export class OutlierDetector {
  private readonly totals = new Array<number>(BUCKETS).fill(0)
  private readonly failures = new Array<number>(BUCKETS).fill(0)
  private readonly epochs = new Array<number>(BUCKETS).fill(-1)
  private readonly bucketMs: number
  private timer: NodeJS.Timeout | undefined

  constructor (
    private readonly config: OutlierDetectionConfig,
    private readonly health: TargetHealth,
    private readonly now: () => number = () => performance.now()
  ) {
    this.bucketMs = Math.max(1, config.window / BUCKETS)
  }

  record (ok: boolean): void {
    if (this.health.ejected) return
    const epoch = Math.floor(this.now() / this.bucketMs)
    const slot = epoch % BUCKETS
    if (this.epochs[slot] !== epoch) {
      this.epochs[slot] = epoch
      this.totals[slot] = 0
      this.failures[slot] = 0
    }
    this.totals[slot]!++
    if (ok) return
    this.failures[slot]!++
    let total = 0
    let failed = 0
    for (let i = 0; i < BUCKETS; i++) {
      if (this.epochs[i]! <= epoch - BUCKETS) continue
      total += this.totals[i]!
      failed += this.failures[i]!
    }
    if (total >= this.config.minRequests && failed / total >= this.config.errorRate) {
      this.eject(`${failed} of ${total} attempts failed within ${this.config.window} ms (errorRate ${this.config.errorRate}); out for ${this.config.ejectFor} ms`)
    }
  }

  stop (): void {
    clearTimeout(this.timer)
  }

  private eject (reason: string): void {
    this.epochs.fill(-1)
    this.health.setEjected(true, reason)
    if (this.timer === undefined) this.timer = setTimeout(() => { this.health.setEjected(false, `ejectFor ${this.config.ejectFor} ms is over`) }, this.config.ejectFor).unref()
    else this.timer.refresh()
  }
}
