// turnpike_requests_total, counted in plain numbers and handed to prom-client when it
// collects (a scrape of /metrics, or a cluster worker's report to its primary). Every
// request increments this counter, and prom-client's Counter.inc checks the labels and
// builds a string key from them to find the series on each call (about 1 µs a request
// under load, several thousand instructions); here a request adds 1 to a number it
// holds, and the Counter's collect hook (prom-client's documented way to bring values
// up to date at scrape time) adds what came in since the last collect. A scrape reads
// exact counts: nothing is counted anywhere else in between.
import type { Counter } from '@platformatic/prom-client'

type Label = 'route' | 'method' | 'status' | 'protocol' | 'upstream'
type Labels = Partial<Record<Label, string>>

/** One series' requests not yet handed to the Counter. */
export interface RequestCount {
  pending: number
}

interface Series extends RequestCount {
  readonly labels: Labels
}

export class RequestCounts {
  /** By the series' label values: one entry per series, however many generations ask for it. */
  private readonly series = new Map<string, Series>()

  /** The count of one series; made once per route, method, status and protocol, then kept by the caller. */
  of (route: string, method: string, status: number, protocol: string, upstream?: string): RequestCount {
    const key = `${route}\u0000${method}\u0000${status}\u0000${protocol}\u0000${upstream ?? ''}`
    let series = this.series.get(key)
    if (series === undefined) {
      const labels: Labels = upstream === undefined
        ? { route, method, status: String(status), protocol }
        : { route, method, status: String(status), protocol, upstream }
      series = { labels, pending: 0 }
      this.series.set(key, series)
    }
    return series
  }

  /** Adds what was counted since the last call to `counter` (its collect hook calls this). */
  flushInto (counter: Counter<Label>): void {
    for (const series of this.series.values()) {
      if (series.pending === 0) continue
      counter.inc(series.labels, series.pending)
      series.pending = 0
    }
  }
}
