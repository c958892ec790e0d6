// The dashboard as lines, from what the last polls returned and the terminal's size.
// Pure: no clock, no I/O, so tests render a fixed GatewayStats at any width.
import type { GatewayStats, TargetStats } from '../../stats/types.js'
import { formatDuration } from '../../config/units.js'
import { formatClock, formatCount, formatLatency, formatPercent, formatRate, formatUptime } from './format.js'
import { table, type Cell } from './table.js'
import { fitLine, lineWidth, span, type Line, type Span, type Style } from './text.js'

export interface TopView {
  /** The admin URL being polled, for the status line. */
  readonly admin: string
  /** The last stats that arrived; kept on screen while the admin API is away. */
  readonly stats: GatewayStats | null
  readonly fetchedAt: Date | null
  /** Why the latest poll failed; null when it succeeded. */
  readonly error: string | null
  readonly intervalMs: number
  /** Live screen (key hints in the status line) rather than a one-off snapshot. */
  readonly live: boolean
}

export interface Size { readonly width: number, readonly height?: number }

const MAX_RELOADS = 5

export function renderTop (view: TopView, size: Size): Line[] {
  const width = Math.max(size.width, 20)
  const body = view.stats === null
    ? [[span(`waiting for ${view.admin}/stats …`, 'dim')]]
    : renderStats(view.stats, width)
  const fitted = body.map((line) => fitLine(line, width))
  const status = fitLine(statusLine(view), width)
  // The status line says whether the numbers are current: it stays when rows run out.
  const room = size.height === undefined ? fitted.length : Math.max(size.height - 1, 0)
  return [...fitted.slice(0, room), status]
}

export function healthLabel (target: Pick<TargetStats, 'healthy' | 'ejected'>): Span {
  if (target.ejected) return span('EJECTED', 'yellow')
  return target.healthy ? span('UP', 'green') : span('DOWN', 'red')
}

function renderStats (stats: GatewayStats, width: number): Line[] {
  return [
    ...header(stats, width),
    [],
    section(`ROUTES (last ${formatDuration(stats.windowSeconds * 1000)})`),
    ...routes(stats, width),
    [],
    section('TARGETS'),
    ...targets(stats, width),
    [],
    section('RELOADS'),
    ...reloads(stats, width),
    [],
    section('POLICIES'),
    ...flow(policies(stats), width)
  ]
}

const section = (title: string): Line => [span(title, 'cyan')]

const item = (label: string, value: string, style?: Style): Span[] => [span(label + ' ', 'dim'), span(value, style)]

function header (stats: GatewayStats, width: number): Line[] {
  const r = stats.requests
  return flow([
    [span(`turnpike ${stats.version}`, 'bold')],
    item('up', formatUptime(stats.uptimeSeconds)),
    item('generation', String(stats.generation)),
    [stats.ready ? span('READY', 'green') : span('NOT READY', 'red')],
    item('requests', formatRate(r.rate)),
    item('errors', formatPercent(r.errorRate), errorStyle(r.errorRate)),
    item('p50', formatLatency(r.p50)),
    item('p90', formatLatency(r.p90)),
    item('p99', formatLatency(r.p99)),
    item('total', formatCount(r.total)),
    item('connections', String(stats.connections.active)),
    item('websockets', String(stats.connections.websockets)),
    item('2xx', formatCount(r.byClass['2xx'])),
    item('3xx', formatCount(r.byClass['3xx'])),
    item('4xx', formatCount(r.byClass['4xx'])),
    item('5xx', formatCount(r.byClass['5xx']), r.byClass['5xx'] > 0 ? 'red' : undefined)
  ], width)
}

function errorStyle (share: number): Style | undefined {
  if (share >= 0.05) return 'red'
  return share > 0 ? 'yellow' : undefined
}

function routes (stats: GatewayStats, width: number): Line[] {
  if (stats.routes.length === 0) return [[span('(no routes)', 'dim')]]
  return table([
    { header: 'NAME', flex: true, min: 8 },
    { header: 'RATE', align: 'right' },
    { header: 'ERR%', align: 'right' },
    { header: 'P50', align: 'right' },
    { header: 'P99', align: 'right' },
    { header: 'TOTAL', align: 'right' }
  ], stats.routes.map((r): Cell[] => [
    r.name,
    formatRate(r.rate),
    span(formatPercent(r.errorRate), errorStyle(r.errorRate)),
    formatLatency(r.p50),
    formatLatency(r.p99),
    formatCount(r.requests)
  ]), width)
}

function targets (stats: GatewayStats, width: number): Line[] {
  const rows = Object.entries(stats.upstreams).flatMap(([name, upstream]) =>
    upstream.targets.map((t): Cell[] => [name, t.url, healthLabel(t), breakerLabel(t.breaker), String(t.activeRequests), String(t.weight)]))
  if (rows.length === 0) return [[span('(no upstreams)', 'dim')]]
  return table([
    { header: 'UPSTREAM', flex: true, min: 8 },
    { header: 'URL', flex: true, min: 12, cut: 'middle' },
    { header: 'HEALTH' },
    { header: 'BREAKER' },
    { header: 'ACTIVE', align: 'right' },
    { header: 'WEIGHT', align: 'right' }
  ], rows, width)
}

function breakerLabel (state: TargetStats['breaker']): Span {
  if (state === 'open') return span('open', 'red')
  return state === 'half-open' ? span('half-open', 'yellow') : span('closed')
}

function reloads (stats: GatewayStats, width: number): Line[] {
  if (stats.reloads.length === 0) return [[span('(none since start)', 'dim')]]
  return table([
    { header: 'AT (UTC)' },
    { header: 'RESULT' },
    { header: 'GEN', align: 'right' },
    { header: 'ERROR', flex: true, min: 10 }
  ], stats.reloads.slice(0, MAX_RELOADS).map((r): Cell[] => [
    formatClock(r.at),
    r.result === 'success' ? span('success', 'green') : span('failure', 'red'),
    String(r.generation),
    // Config errors span lines; one row each keeps the table a table.
    (r.error ?? '').replace(/\s*\n\s*/g, ' ⏎ ')
  ]), width)
}

function policies (stats: GatewayStats): Span[][] {
  const p = stats.policies
  return [
    item('rate-limited', formatCount(p.rateLimited)),
    item('blocked', formatCount(p.blocked)),
    item('cache hit', formatCount(p.cache.hit)),
    item('miss', formatCount(p.cache.miss)),
    item('bypass', formatCount(p.cache.bypass)),
    item('connections refused', formatCount(p.connectionsRefused)),
    ...redisItem(stats)
  ]
}

/** The Redis link: up, or down (breaker open) with why; nothing without Redis or from an older gateway. */
function redisItem (stats: GatewayStats): Span[][] {
  const redis = stats.redis as GatewayStats['redis'] | undefined
  if (redis === null || redis === undefined) return []
  if (redis.state === 'closed') return [item('redis', 'up', 'green')]
  return [item('redis', 'DOWN', 'red'), [span(`in-process since ${redis.since.slice(11, 19)}Z: ${redis.lastError}`, 'dim')]]
}

/** Items side by side, two spaces apart, wrapped onto more lines when the width runs out. */
function flow (items: Span[][], width: number): Line[] {
  const lines: Span[][] = []
  let current: Span[] = []
  for (const it of items) {
    const needed = lineWidth(it) + (current.length > 0 ? 2 : 0)
    if (current.length > 0 && lineWidth(current) + needed > width) {
      lines.push(current)
      current = []
    }
    if (current.length > 0) current.push(span('  '))
    current.push(...it)
  }
  if (current.length > 0) lines.push(current)
  return lines
}

function statusLine (view: TopView): Line {
  const every = `every ${formatDuration(view.intervalMs)}`
  const keys = view.live ? ' · q quit · r refresh' : ''
  if (view.error !== null) {
    const stale = view.fetchedAt === null ? '' : ` · showing data from ${formatClock(view.fetchedAt)}`
    const retry = view.live ? ` · retrying ${every}` : ''
    return [span(`${view.admin}: ${view.error}${stale}${retry}${keys}`, 'red')]
  }
  const at = view.fetchedAt === null ? '' : ` · updated ${formatClock(view.fetchedAt)} UTC`
  return [span(`${view.admin}${at}${view.live ? ` · ${every}` : ''}${keys}`, 'dim')]
}
