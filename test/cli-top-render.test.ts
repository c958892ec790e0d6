// `turnpike top`'s renderer: a fixed GatewayStats in, lines out, at any terminal size.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { GatewayStats } from '../src/stats/types.js'
import { healthLabel, renderTop, type TopView } from '../src/cli/top/render.js'
import { paint, plain, width } from '../src/cli/top/text.js'
import { sampleStats } from './helpers/top-stats.js'

function view (stats: GatewayStats | null = sampleStats(), extra: Partial<TopView> = {}): TopView {
  return { admin: 'http://gw:9090', stats, fetchedAt: new Date('2025-01-01T02:03:04Z'), error: null, intervalMs: 1000, live: true, ...extra }
}

const text = (v: TopView, w: number, h?: number): string[] => renderTop(v, h === undefined ? { width: w } : { width: w, height: h }).map(plain)

const rowOf = (lines: string[], needle: string): string => {
  const row = lines.find((l) => l.includes(needle))
  assert.ok(row !== undefined, `no line with ${needle} in:\n${lines.join('\n')}`)
  return row
}

test('a wide terminal shows the header, every route, target, reload and policy counter', () => {
  const lines = text(view(), 120)
  const all = lines.join('\n')
  for (const s of ['turnpike 0.1.0', 'up 2h 03m', 'generation 3', 'READY', 'requests 42.5/s', 'errors 1.2%', 'p50 12ms', 'p90 48ms', 'p99 230ms', 'connections 17', 'websockets 2']) {
    assert.ok(all.includes(s), `header lacks "${s}":\n${all}`)
  }
  assert.match(rowOf(lines, 'orders-api'), /orders-api\s+40\.1\/s\s+1\.0%\s+11ms\s+200ms\s+100k/)
  assert.match(rowOf(lines, 'static'), /static\s+2\.4\/s\s+0%\s+1\.2ms\s+3\.0ms\s+23456/)
  assert.match(rowOf(lines, 'orders-1.internal'), /orders\s+http:\/\/orders-1\.internal:8080\s+UP\s+closed\s+3\s+1$/)
  assert.match(rowOf(lines, 'orders-2.internal'), /DOWN\s+open\s+0/)
  assert.match(rowOf(lines, 'orders-3.internal'), /EJECTED\s+half-open\s+1\s+2$/)
  assert.match(rowOf(lines, 'failure'), /02:00:00\s+failure\s+3\s+gateway\.yaml:4:3 routes\.0\.upstream: unknown upstream "x"/)
  assert.match(all, /rate-limited 12 {2}blocked 4 {2}cache hit 300 {2}miss 100 {2}bypass 7 {2}connections refused 0/)
  assert.equal(lines.at(-1), 'http://gw:9090 · updated 02:03:04 UTC · every 1s · q quit · r refresh')
  for (const line of lines) assert.ok(width(line) <= 120 && line === line.trimEnd(), `bad line: "${line}"`)
})

test('a narrow terminal: every line fits, the header wraps, long names and URLs are cut with …', () => {
  const stats = sampleStats()
  const long = {
    ...stats,
    routes: [{ ...stats.routes[0]!, name: 'a-very-long-route-name-that-goes-on-and-on-and-on' }],
    upstreams: { orders: { balancer: 'random', targets: [{ ...stats.upstreams.orders!.targets[0]!, url: 'http://a-really-long-host-name.orders.svc.cluster.local:8080' }] } }
  }
  for (const w of [40, 60, 80]) {
    const lines = text(view(long), w)
    for (const line of lines) assert.ok(width(line) <= w, `wider than ${w}: "${line}"`)
    assert.ok(lines.some((l) => l.startsWith('a-very-') && l.includes('…')), `route name not cut at ${w}`)
    // The URL loses its middle, so host prefix and port both stay readable.
    assert.match(rowOf(lines, ':8080'), /http:\S*…\S*:8080\s+UP/)
  }
  const narrow = text(view(long), 40)
  assert.ok(narrow.indexOf(rowOf(narrow, 'connections')) > 0, 'the header should wrap onto more lines')
})

test('health labels: ejected wins over down, then down, then up; colours only when asked', () => {
  assert.equal(healthLabel({ healthy: true, ejected: false }).text, 'UP')
  assert.equal(healthLabel({ healthy: false, ejected: false }).text, 'DOWN')
  assert.equal(healthLabel({ healthy: true, ejected: true }).text, 'EJECTED')
  assert.equal(healthLabel({ healthy: false, ejected: true }).text, 'EJECTED')
  const lines = renderTop(view(), { width: 120 })
  const coloured = lines.map((l) => paint(l, true)).join('\n')
  assert.ok(coloured.includes('\x1b[32mUP'), 'UP should be green')
  assert.ok(coloured.includes('\x1b[31mDOWN'), 'DOWN should be red')
  assert.ok(coloured.includes('\x1b[33mEJECTED'), 'EJECTED should be yellow')
  assert.ok(!lines.map((l) => paint(l, false)).join('\n').includes('\x1b'), 'no escapes without colour')
})

test('no routes, no upstreams, no reloads and no latency data are said plainly', () => {
  const stats = sampleStats()
  const empty: GatewayStats = { ...stats, ready: false, routes: [], upstreams: {}, reloads: [], requests: { ...stats.requests, p50: null, p90: null, p99: null } }
  const all = text(view(empty), 200).join('\n')
  assert.match(all, /NOT READY/)
  assert.match(all, /\(no routes\)/)
  assert.match(all, /\(no upstreams\)/)
  assert.match(all, /\(none since start\)/)
  assert.match(all, /p50 - {2}p90 - {2}p99 -/)
})

test('a short terminal: the body is cut and the status line stays on the last row', () => {
  const lines = text(view(), 120, 8)
  assert.equal(lines.length, 8)
  assert.match(lines[0]!, /^turnpike 0\.1\.0/)
  assert.match(lines[7]!, /updated 02:03:04/)
})

test('while the admin API fails: the last data stays, marked stale, with the reason', () => {
  const lines = text(view(sampleStats(), { error: 'unreachable (ECONNREFUSED)' }), 200)
  assert.ok(lines.some((l) => l.includes('orders-api')))
  assert.equal(lines.at(-1), 'http://gw:9090: unreachable (ECONNREFUSED) · showing data from 02:03:04 · retrying every 1s · q quit · r refresh')
  const first = text(view(null, { fetchedAt: null, error: 'GET /stats answered 503' }), 100)
  assert.deepEqual(first, ['waiting for http://gw:9090/stats …', 'http://gw:9090: GET /stats answered 503 · retrying every 1s · q quit · r refresh'])
})

test('a snapshot (--once) has no key hints', () => {
  assert.equal(text(view(sampleStats(), { live: false }), 120).at(-1), 'http://gw:9090 · updated 02:03:04 UTC')
})

test('the Redis link: up, DOWN with since when and why while its breaker is open, nothing without Redis', () => {
  assert.match(text(view(), 120).join('\n'), /bypass 7 {2}connections refused 0 {2}redis up/)
  const down = { ...sampleStats(), redis: { ...sampleStats().redis as NonNullable<GatewayStats['redis']>, state: 'open' as const, since: '2025-01-01T02:01:00.000Z', lastError: 'no answer within 50 ms' } }
  assert.match(text(view(down), 120).join('\n'), /redis DOWN\s+in-process since 02:01:00Z: no answer within 50 ms/)
  assert.doesNotMatch(text(view({ ...sampleStats(), redis: null }), 120).join('\n'), /redis/)
})
