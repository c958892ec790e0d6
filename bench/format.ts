// Renders a run as Markdown tables, padded so they read well in a terminal too.
import { floors, type BenchReport, type TargetResult } from './results.js'

const rps = (n: number) => Math.round(n).toLocaleString('en-US')
const ms = (n: number) => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`
const times = (n: number) => `${n.toFixed(2)}×`

function table (head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n')
}

const cpu = (n: number | undefined) => n === undefined ? '—' : `${n.toFixed(0)} µs`

function targetRow (t: TargetResult): string[] {
  if (t.median === undefined) return [t.name, '—', '—', '—', '—', '—', `${t.status}: ${t.note ?? ''}`]
  const perRound = t.rounds.map((r) => rps(r.rps)).join(' / ')
  return [t.name, rps(t.median.rps), ms(t.median.p50), ms(t.median.p99), cpu(t.median.cpuUsPerRequest), String(t.errors), perRound]
}

export function formatReport (report: BenchReport): string {
  const s = report.settings
  const parts = [
    `Run ${report.finishedAt.slice(0, 16).replace('T', ' ')} UTC · ${report.machine.cpuModel} × ${report.machine.cpus} · ` +
      `Node ${report.machine.node} · ${report.machine.nginx ?? 'no nginx'}`,
    `${s.rounds} round${s.rounds === 1 ? '' : 's'} (interleaved) × ${s.durationS}s (+${s.warmupS}s warm-up) per target · ` +
      `${s.connections} connections · offered ${String(s.rate ?? 'as fast as answered')}${typeof s.rate === 'number' ? ' req/s' : ''} · ${s.loadgenCommand} · load average at start ${report.machine.loadavgAtStart}`,
    `${s.pinning} · backend: ${String(s.backend ?? 'node:http')}`,
    '',
    table(
      ['target', 'req/s (median)', 'p50', 'p99', 'CPU/req', 'errors', 'req/s per round'],
      report.targets.map(targetRow)
    )
  ]
  if (report.ratios.length > 0) {
    parts.push('', table(
      ['comparison', 'req/s ratio', 'p99 ratio', 'CPU/req ratio', 'req/s ratio, per round (median)'],
      report.ratios.map((r) => [`${r.target} vs ${r.reference}`, times(r.rps), times(r.p99),
        r.cpu === undefined ? '—' : times(r.cpu), r.rpsPaired === undefined ? '—' : times(r.rpsPaired)])
    ))
    parts.push('', 'req/s ratio < 1: fewer requests per second than the reference; p99 ratio > 1: a longer tail; ' +
      'CPU/req ratio > 1: the proxy process spent more CPU per request (measured from /proc, less noisy than req/s on a shared VM).')
  }
  const goals = floors(report)
  if (goals.length > 0) {
    parts.push('', table(['goal', 'target', 'measured', 'limit', 'met'],
      goals.map((g) => {
        const show = g.unit === '×' ? times : (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(1)} µs`
        return [g.goal, g.target, show(g.measured), `${g.goal.startsWith('req/s') ? '≥' : '≤'} ${show(g.limit)}`, g.met ? 'yes' : 'NO']
      })))
  }
  const errored = report.targets.filter((t) => t.errors > 0).map((t) => t.name)
  if (errored.length > 0) parts.push('', `Warning: ${errored.join(', ')} had errors (non-2xx or socket errors); their numbers are suspect.`)
  return parts.join('\n')
}
