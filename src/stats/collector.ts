// Per-route request counts and latency over a sliding window, for admin GET /stats.
// prom-client's metrics are cumulative; a dashboard wants "the last minute", so each
// route keeps a ring of one-second slots (status-class counts and a latency histogram)
// in preallocated typed arrays. record() runs for every request: one Map lookup, one
// clock read, a few index computations and increments, no allocation. A slot is
// cleared lazily, when a later second first writes to it.
import { BUCKETS, quantile, bucketOf } from './latency-buckets.js'
import { ReloadLog } from './reload-log.js'
import type { LatencySummary } from './types.js'

const CLASSES = 4 // 2xx (1xx counted here: a WebSocket 101 is a success), 3xx, 4xx, 5xx
const NO_SECOND = -1

/** One route's ring of one-second slots. */
class Series {
  /** The second (clock ms / 1000, floored) whose counts each slot holds. */
  readonly seconds: Float64Array
  readonly classes: Uint32Array
  readonly latency: Uint32Array
  /** Requests since the process started. */
  total = 0

  constructor (slots: number) {
    this.seconds = new Float64Array(slots).fill(NO_SECOND)
    this.classes = new Uint32Array(slots * CLASSES)
    this.latency = new Uint32Array(slots * BUCKETS)
  }

  claim (slot: number, second: number): void {
    this.seconds[slot] = second
    this.classes.fill(0, slot * CLASSES, (slot + 1) * CLASSES)
    this.latency.fill(0, slot * BUCKETS, (slot + 1) * BUCKETS)
  }
}

/** Requests of one route (or all of them) over the window, plus the total since start. */
export interface WindowStats extends LatencySummary {
  readonly total: number
  /** Requests finished in the window. */
  readonly count: number
  readonly rate: number
  readonly errorRate: number
  readonly byClass: { '2xx': number, '3xx': number, '4xx': number, '5xx': number }
}

/** The raw counts of one route (or several, summed) over the window: what merging processes needs. */
export interface WindowCounts {
  total: number
  /** Requests in the window by class: 2xx, 3xx, 4xx, 5xx. */
  readonly classes: number[]
  /** Requests in the window by latency bucket (latency-buckets.ts). */
  readonly latency: number[]
}

export function emptyCounts (): WindowCounts {
  return { total: 0, classes: new Array<number>(CLASSES).fill(0), latency: new Array<number>(BUCKETS).fill(0) }
}

/** Adds `from` into `into` (cluster workers' counts merge by addition). */
export function addCounts (into: WindowCounts, from: WindowCounts): WindowCounts {
  into.total += from.total
  for (let c = 0; c < CLASSES; c++) into.classes[c]! += from.classes[c] ?? 0
  for (let b = 0; b < BUCKETS; b++) into.latency[b]! += from.latency[b] ?? 0
  return into
}

/** Rates and percentiles from counts gathered over `spanSeconds`. */
export function summarizeCounts (counts: WindowCounts, spanSeconds: number): WindowStats {
  const [c2 = 0, c3 = 0, c4 = 0, c5 = 0] = counts.classes
  const count = c2 + c3 + c4 + c5
  return {
    total: counts.total,
    count,
    rate: Math.round(count / spanSeconds * 100) / 100,
    errorRate: count === 0 ? 0 : Math.round(c5 / count * 10000) / 10000,
    byClass: { '2xx': c2, '3xx': c3, '4xx': c4, '5xx': c5 },
    p50: quantile(counts.latency, count, 0.5),
    p90: quantile(counts.latency, count, 0.9),
    p99: quantile(counts.latency, count, 0.99)
  }
}

export interface CollectorOptions {
  /** Milliseconds on a monotonic clock; injected by tests. */
  readonly now?: () => number
  readonly windowSeconds?: number
}

export class StatsCollector {
  readonly windowSeconds: number
  readonly reloads = new ReloadLog()
  private readonly now: () => number
  private readonly startedAt: number
  private readonly series = new Map<string, Series>()

  constructor (options: CollectorOptions = {}) {
    this.now = options.now ?? (() => performance.now())
    this.windowSeconds = options.windowSeconds ?? 60
    this.startedAt = this.now()
  }

  /** Counts one finished request of `route`; `seconds` is its duration. */
  record (route: string, status: number, seconds: number): void {
    let series = this.series.get(route)
    if (series === undefined) {
      series = new Series(this.windowSeconds)
      this.series.set(route, series)
    }
    const second = Math.floor(this.now() / 1000)
    const slot = second % this.windowSeconds
    if (series.seconds[slot] !== second) series.claim(slot, second)
    const cls = status < 300 ? 0 : status < 400 ? 1 : status < 500 ? 2 : 3
    series.classes[slot * CLASSES + cls]! += 1
    series.latency[slot * BUCKETS + bucketOf(seconds * 1000)]! += 1
    series.total += 1
  }

  /** One route's numbers; a route with no request yet reads as zeros. */
  route (name: string): WindowStats {
    const series = this.series.get(name)
    return this.summarize(series === undefined ? [] : [series])
  }

  /** Every request the process answered, matched to a route or not. */
  overall (): WindowStats {
    return this.summarize([...this.series.values()])
  }

  /** Every route's raw counts over the window, and the span they cover, for merging with other processes'. */
  counts (): { spanSeconds: number, routes: Record<string, WindowCounts> } {
    const routes: Record<string, WindowCounts> = {}
    for (const [name, series] of this.series) routes[name] = this.countsOf([series])
    return { spanSeconds: this.span(), routes }
  }

  private summarize (all: readonly Series[]): WindowStats {
    return summarizeCounts(this.countsOf(all), this.span())
  }

  /** Seconds the window covers: a process younger than the window has not had a whole window to fill. */
  private span (): number {
    return Math.min(this.windowSeconds, Math.max(1, (this.now() - this.startedAt) / 1000))
  }

  private countsOf (all: readonly Series[]): WindowCounts {
    const current = Math.floor(this.now() / 1000)
    const oldest = current - this.windowSeconds + 1
    const counts = emptyCounts()
    for (const series of all) {
      counts.total += series.total
      for (let slot = 0; slot < this.windowSeconds; slot++) {
        const second = series.seconds[slot]!
        if (second < oldest || second > current) continue
        for (let c = 0; c < CLASSES; c++) counts.classes[c]! += series.classes[slot * CLASSES + c]!
        for (let b = 0, base = slot * BUCKETS; b < BUCKETS; b++) counts.latency[b]! += series.latency[base + b]!
      }
    }
    return counts
  }
}
