// deploy/grafana: the provisioned datasource and dashboard provider agree with the
// compose stack, and the dashboard has the panels an operator needs, all on that
// datasource, laid out without overlaps.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'
import { ROOT } from './helpers/child.js'

// Provisioning and dashboard files are read field by field; a loose JSON type keeps this short.
type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const GRAFANA = path.join(ROOT, 'deploy', 'grafana')
const readYaml = (file: string): Json => parse(readFileSync(file, 'utf8')) as Json

const datasources = readYaml(path.join(GRAFANA, 'provisioning', 'datasources', 'prometheus.yml')).datasources as Json[]
const providers = readYaml(path.join(GRAFANA, 'provisioning', 'dashboards', 'turnpike.yml')).providers as Json[]
const compose = readYaml(path.join(ROOT, 'docker-compose.yml')).services as Json
const dashboard = JSON.parse(readFileSync(path.join(GRAFANA, 'dashboards', 'turnpike.json'), 'utf8')) as Json
const panels = (dashboard.panels as Json[]).filter((p) => p.type !== 'row')

test('one Prometheus datasource with a fixed uid, at the compose service', () => {
  assert.equal(datasources.length, 1)
  const [ds] = datasources
  assert.equal(ds?.type, 'prometheus')
  assert.equal(ds?.uid, 'turnpike-prometheus')
  const url = new URL(ds?.url)
  assert.ok(compose[url.hostname] !== undefined, `${url.hostname} is a compose service`)
  assert.ok((compose.prometheus.ports as string[]).some((p) => p.endsWith(`:${url.port}`)), 'prometheus listens on that port in its container')
})

test('the dashboard provider reads the directory compose mounts deploy/grafana/dashboards at', () => {
  assert.equal(providers.length, 1)
  const mount = (compose.grafana.volumes as string[]).find((v) => v.startsWith('./deploy/grafana/dashboards:'))
  assert.equal(mount?.split(':')[1], providers[0]?.options.path)
  assert.equal(compose.grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH, `${providers[0]?.options.path}/turnpike.json`)
})

test('every panel and query uses the provisioned datasource', () => {
  for (const panel of panels) {
    assert.equal(panel.datasource?.uid, 'turnpike-prometheus', panel.title)
    assert.ok(panel.targets.length > 0, panel.title)
    for (const target of panel.targets as Json[]) {
      assert.equal(target.datasource?.uid, 'turnpike-prometheus', panel.title)
      assert.match(target.expr, /\S/, panel.title)
    }
  }
  for (const variable of dashboard.templating.list as Json[]) assert.equal(variable.datasource?.uid, 'turnpike-prometheus')
})

test('the dashboard has the panels an operator needs', () => {
  const titles = panels.map((p) => p.title as string)
  for (const title of [
    'Request rate by route', '5xx ratio', 'Latency p50 / p99 by route', 'Upstream latency p99 by target',
    'Target health', 'Circuit breaker state', 'Retries by route', 'Rate-limited (429) by route',
    'Blocked IPs by reason', 'Cache hit ratio by route', 'Redis errors and link state', 'Active connections',
    'WebSocket connections', 'Config reloads', 'CPU', 'Memory'
  ]) assert.ok(titles.includes(title), title)
})

test('latency panels compute quantiles from the histograms\' buckets', () => {
  const latency = panels.filter((p) => /latency/i.test(p.title)).flatMap((p) => p.targets as Json[])
  assert.ok(latency.length >= 3)
  for (const { expr } of latency) assert.match(expr, /^histogram_quantile\(0\.\d+, sum by \([^)]*\ble\b[^)]*\) \(rate\(turnpike_\w+_seconds_bucket\{/)
})

test('panel ids are unique and panels do not overlap on the 24-column grid', () => {
  const all = dashboard.panels as Json[]
  assert.equal(new Set(all.map((p) => p.id)).size, all.length)
  for (const [i, a] of all.entries()) {
    assert.ok(a.gridPos.x + a.gridPos.w <= 24, a.title)
    for (const b of all.slice(i + 1)) {
      const overlap = a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w &&
        a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h
      assert.ok(!overlap, `${a.title} overlaps ${b.title}`)
    }
  }
})
