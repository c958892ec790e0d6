// Every metric the Grafana dashboard and the alert rules query is one a running gateway
// exports: a renamed metric would otherwise leave an empty panel and an alert that can
// never fire, with nothing failing.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { parse } from 'yaml'
import { startBackend, type Backend } from './helpers/backend.js'
import { ROOT } from './helpers/child.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

// Dashboard and rule files are read field by field; a loose JSON type keeps this short.
type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const METRIC = /\b(?:turnpike|process|nodejs)_[a-z0-9_]+\b/g
const HISTOGRAM_SERIES = /_(?:bucket|sum|count)$/

let backend: Backend
let gw: TestGateway
let exported: Set<string>

before(async () => {
  backend = await startBackend()
  gw = await startGateway(`${BASE}
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: /api }, upstream: app }
`)
  await (await request(`${gw.url}/api/x`)).body.dump()
  const text = await (await request(`${gw.adminUrl}/metrics`)).body.text()
  // TYPE lines name every registered metric, with or without samples yet.
  exported = new Set([...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1] ?? ''))
})

after(async () => {
  await gw.close()
  await backend.close()
})

/** The metric names an expression uses, histogram series folded to their metric. */
function metricNames (expr: string): string[] {
  return [...expr.matchAll(METRIC)].map(([name]) => {
    const base = name.replace(HISTOGRAM_SERIES, '')
    return base !== name && exported.has(base) ? base : name
  })
}

function dashboardExprs (): string[] {
  const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'deploy', 'grafana', 'dashboards', 'turnpike.json'), 'utf8')) as Json
  const panels = (dashboard.panels as Json[]).flatMap((p) => (p.targets ?? []) as Json[]).map((t) => t.expr as string)
  const variables = (dashboard.templating.list as Json[]).map((v) => v.definition as string)
  return [...panels, ...variables]
}

function ruleExprs (): string[] {
  const rules = parse(readFileSync(path.join(ROOT, 'deploy', 'prometheus', 'alerts.yml'), 'utf8')) as Json
  return (rules.groups as Json[]).flatMap((g) => g.rules as Json[]).map((r) => r.expr as string)
}

test('the gateway exports the documented turnpike_* metrics and the Node.js process metrics', () => {
  assert.ok(exported.has('turnpike_requests_total'))
  assert.ok(exported.has('turnpike_websocket_connections'))
  assert.ok(exported.has('process_cpu_seconds_total'))
  assert.ok(exported.has('nodejs_heap_size_used_bytes'))
})

test('every metric in the Grafana dashboard\'s queries is exported', () => {
  const used = new Set(dashboardExprs().flatMap(metricNames))
  assert.ok(used.size >= 15, [...used].join(', '))
  assert.deepEqual([...used].filter((name) => !exported.has(name)), [])
})

test('every metric in the alert rules is exported', () => {
  const used = new Set(ruleExprs().flatMap(metricNames))
  assert.ok(used.size >= 8, [...used].join(', '))
  assert.deepEqual([...used].filter((name) => !exported.has(name)), [])
})

test('the dashboard shows every turnpike_ metric the gateway exports', () => {
  const used = new Set(dashboardExprs().flatMap(metricNames))
  assert.deepEqual([...exported].filter((name) => name.startsWith('turnpike_') && !used.has(name)), [])
})
