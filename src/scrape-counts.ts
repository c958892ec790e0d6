// Counters the data plane adds to on every request (turnpike_requests_total) or every
// mirrored copy (turnpike_mirror_requests_total), counted in plain numbers and handed to
// prom-client when it collects (a scrape of /metrics, or a cluster worker's report to
// its primary). prom-client's Counter.inc checks the labels and builds a string key
// from them to find the series on each call, several thousand instructions each time
// (bench/instructions.ts); here the caller keeps its series' count and adds 1 to a
// number, and the Counter's collect hook (prom-client's documented way to bring values
// up to date at scrape time) adds what came in since the last collect. A scrape reads
// exact counts: nothing is counted anywhere else in between.
import type { Counter, LabelValues } from '@platformatic/prom-client'

/** One series' increments not yet handed to the Counter. */
export interface PendingCount {
  pending: number
}

interface Series<L extends string> extends PendingCount {
  readonly labels: LabelValues<L>
}

export class ScrapeCounts<L extends string> {
  /** By the series' label values: one entry per series, however many generations ask for it. */
  private readonly series = new Map<string, Series<L>>()

  /**
   * The count of one series, `key` naming it among this counter's (its label values
   * joined); made once per series and route, then kept by the caller.
   */
  of (key: string, labels: () => LabelValues<L>): PendingCount {
    let series = this.series.get(key)
    if (series === undefined) {
      series = { labels: labels(), pending: 0 }
      this.series.set(key, series)
    }
    return series
  }

  /** Adds what was counted since the last call to `counter` (its collect hook calls this). */
  flushInto (counter: Counter<L>): void {
    for (const series of this.series.values()) {
      if (series.pending === 0) continue
      counter.inc(series.labels, series.pending)
      series.pending = 0
    }
  }
}
