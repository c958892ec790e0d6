// Numbers as the dashboard shows them: short, with a unit, and `-` for "no data".

export function formatRate (perSecond: number): string {
  if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(1)}k/s`
  if (perSecond >= 100) return `${Math.round(perSecond)}/s`
  return `${perSecond.toFixed(1)}/s`
}

/** A 0–1 share as a percentage. */
export function formatPercent (share: number): string {
  const pct = share * 100
  if (pct === 0) return '0%'
  if (pct < 0.1) return '<0.1%'
  return `${pct >= 10 ? pct.toFixed(0) : pct.toFixed(1)}%`
}

export function formatLatency (ms: number | null): string {
  if (ms === null) return '-'
  if (ms >= 10_000) return `${(ms / 1000).toFixed(0)}s`
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`
  if (ms >= 10) return `${Math.round(ms)}ms`
  return `${ms.toFixed(1)}ms`
}

export function formatCount (n: number): string {
  if (n >= 10_000_000) return `${(n / 1_000_000).toFixed(0)}M`
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`
  if (n >= 100_000) return `${(n / 1000).toFixed(0)}k`
  return String(n)
}

export function formatUptime (seconds: number): string {
  const s = Math.floor(seconds)
  const d = Math.floor(s / 86_400)
  const h = Math.floor((s % 86_400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  if (d > 0) return `${d}d ${h}h`
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`
  return `${m}m ${String(s % 60).padStart(2, '0')}s`
}

/** HH:MM:SS of a date in UTC, so two operators in different zones read the same time. */
export function formatClock (at: Date | string): string {
  const date = typeof at === 'string' ? new Date(at) : at
  return Number.isNaN(date.getTime()) ? '??:??:??' : date.toISOString().slice(11, 19)
}
