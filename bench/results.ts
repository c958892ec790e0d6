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
   * The median of the per-round ratios, each
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
      // Paired per round against every reference: each pair measured minutes apart at most.
      const paired = refRounds.length === t.rounds.length
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

/** One goal of the plain route against a reference proxy, and whether this run meets it. */
export interface Floor {
  target: string
  goal: string
  measured: number
  limit: number
  /** A ratio (×) or a difference in CPU µs per request. */
  unit: '×' | 'µs'
  met: boolean
}

/**
 * The plain route's goals (and the baseline's, when one is measured): at least 1.3×
 * bare fastify's requests per second paired per round, at most 1.35× the node:http +
 * undici floor's CPU per request, and at most 1.5× the floor's p99.
 */
export function floors (report: Pick<BenchReport, 'ratios' | 'targets'>): Floor[] {
  const out: Floor[] = []
  for (const target of ['turnpike', 'baseline']) {
    const vs = (reference: string): Ratio | undefined => report.ratios.find((r) => r.target === target && r.reference === reference)
    const bare = vs('bare')
    const floor = vs('floor')
    const rps = bare?.rpsPaired ?? bare?.rps
    if (rps !== undefined) out.push({ target, goal: 'req/s vs bare, paired per round', measured: rps, limit: 1.3, unit: '×', met: rps >= 1.3 })
    if (floor?.cpu !== undefined) out.push({ target, goal: 'CPU/req vs floor', measured: floor.cpu, limit: 1.35, unit: '×', met: floor.cpu <= 1.35 })
    if (floor !== undefined) out.push({ target, goal: 'p99 vs floor', measured: floor.p99, limit: 1.5, unit: '×', met: floor.p99 <= 1.5 })
  }
  return [...out, ...workerFloors(report)]
}

/**
 * The workers' goals: two workers' CPU per request (summed over the primary and both
 * workers) at most 1.15× one process's, and the shared in-process rate limit adding at
 * most 10 µs per request. Only fair at an offered rate below saturation (--rate) or
 * with every target floating (--no-pin): see docs/performance.md.
 */
function workerFloors (report: Pick<BenchReport, 'ratios' | 'targets'>): Floor[] {
  const out: Floor[] = []
  const w2 = report.ratios.find((r) => r.target === 'turnpike-w2' && r.reference === 'turnpike')
  if (w2?.cpu !== undefined) out.push({ target: 'turnpike-w2', goal: 'CPU/req, 2 workers vs 1 process', measured: w2.cpu, limit: 1.15, unit: '×', met: w2.cpu <= 1.15 })
  const cpuOf = (name: string) => report.targets.find((t) => t.name === name)?.median?.cpuUsPerRequest
  const limited = cpuOf('turnpike-w2-ratelimit')
  const plain = cpuOf('turnpike-w2')
  if (limited !== undefined && plain !== undefined) out.push({ target: 'turnpike-w2-ratelimit', goal: 'CPU/req added by the shared rate limit', measured: limited - plain, limit: 10, unit: 'µs', met: limited - plain <= 10 })
  return out
}
