// The shape of a benchmark run (also bench/results/latest.json) and the arithmetic on it.
import type { LoadResult } from './load/types.js'
import { REFERENCES } from './targets/types.js'

export interface TargetResult {
  name: string
  about: string
  compare: boolean
  relativeTo?: string
  status: 'ok' | 'skipped' | 'failed'
  note?: string
  rounds: LoadResult[]
  /** Medians over the rounds: one bad round (a GC storm, a noisy neighbour) does not move them. */
  median?: { rps: number, p50: number, p99: number, cpuUsPerRequest?: number }
  errors: number
}

export interface Ratio {
  target: string
  reference: string
  /** target rps / reference rps: below 1 means slower. */
  rps: number
  /**
   * Against the plain route (`relativeTo`): the median of the per-round ratios, each
   * round's two measurements taken minutes apart at most, so a slow spell of the machine
   * that spans a few rounds moves it less than it moves the ratio of medians.
   */
  rpsPaired?: number
  /** target p99 / reference p99: above 1 means a longer tail. */
  p99: number
  /** target CPU per request / reference's: above 1 means more work per request. */
  cpu?: number
}

export interface BenchReport {
  startedAt: string
  finishedAt: string
  machine: Record<string, string | number>
  settings: Record<string, string | number | boolean>
  targets: TargetResult[]
  ratios: Ratio[]
}

export function median (xs: number[]): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

export function summarise (t: TargetResult): TargetResult {
  if (t.rounds.length === 0) return t
  return {
    ...t,
    median: {
      rps: median(t.rounds.map((r) => r.rps)),
      p50: median(t.rounds.map((r) => r.p50)),
      p99: median(t.rounds.map((r) => r.p99)),
      ...(t.rounds.every((r) => r.cpuUsPerRequest !== undefined) ? { cpuUsPerRequest: median(t.rounds.map((r) => r.cpuUsPerRequest as number)) } : {})
    },
    errors: t.rounds.reduce((sum, r) => sum + r.errors, 0)
  }
}

export function ratios (targets: TargetResult[]): Ratio[] {
  const out: Ratio[] = []
  for (const t of targets) {
    if (!t.compare || t.median === undefined) continue
    for (const refName of t.relativeTo === undefined ? REFERENCES : [t.relativeTo, ...REFERENCES]) {
      const ref = targets.find((r) => r.name === refName)?.median
      if (ref === undefined) continue
      const cpu = t.median.cpuUsPerRequest !== undefined && ref.cpuUsPerRequest !== undefined ? t.median.cpuUsPerRequest / ref.cpuUsPerRequest : undefined
      const refRounds = targets.find((r) => r.name === refName)?.rounds ?? []
      const paired = refName === t.relativeTo && refRounds.length === t.rounds.length
        ? median(t.rounds.map((r, i) => r.rps / (refRounds[i] as LoadResult).rps))
        : undefined
      out.push({
        target: t.name,
        reference: refName,
        rps: t.median.rps / ref.rps,
        p99: t.median.p99 / ref.p99,
        ...(cpu === undefined ? {} : { cpu }),
        ...(paired === undefined ? {} : { rpsPaired: paired })
      })
    }
  }
  return out
}
