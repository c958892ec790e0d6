// A real Prometheus (Debian package `prometheus`) scraping a running gateway's admin
// /metrics every second: the series arrive with their route label, the alert rules of
// deploy/prometheus evaluate cleanly against them, and every Grafana dashboard query
// is PromQL this Prometheus accepts.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { ROOT } from './helpers/child.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'
import { freePort } from './helpers/free-port.js'

// Prometheus API answers are read field by field; a loose JSON type keeps this short.
type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const POLL_MS = 200
const POLL_LIMIT = 300 // 60s: Prometheus starts in a second or two on an idle machine

let backend: Backend
let gw: TestGateway
let prometheus: ChildProcess
let prometheusUrl: string
let dir: string
let output = ''

async function api (pathAndQuery: string): Promise<Json | undefined> {
  try {
    const res = await request(prometheusUrl + pathAndQuery)
    const text = await res.body.text()
    return JSON.parse(text) as Json
  } catch {
    return undefined // not listening yet
  }
}

/** Polls `read` until it returns a value, within POLL_LIMIT tries. */
async function eventually<T> (what: string, read: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < POLL_LIMIT; i++) {
    const value = await read()
    if (value !== undefined) return value
    if (prometheus.exitCode !== null) break
    await delay(POLL_MS)
  }
  throw new Error(`Prometheus: ${what} did not happen\n${output.slice(-2000)}`)
}

before(async () => {
  backend = await startBackend()
  gw = await startGateway(`${BASE}
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: /api }, upstream: app }
`)
  for (let i = 0; i < 5; i++) await (await request(`${gw.url}/api/item/${i}`)).body.dump()

  dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-prometheus-'))
  const port = await freePort()
  prometheusUrl = `http://127.0.0.1:${port}`
  await writeFile(path.join(dir, 'prometheus.yml'), `global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: ["${path.join(ROOT, 'deploy', 'prometheus', 'alerts.yml')}"]
scrape_configs:
  - job_name: turnpike
    static_configs: [{ targets: ["127.0.0.1:${new URL(gw.adminUrl).port}"] }]
`)
  prometheus = spawn('prometheus', [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  prometheus.stdout?.on('data', (d: Buffer) => { output += d.toString() })
  prometheus.stderr?.on('data', (d: Buffer) => { output += d.toString() })
  await new Promise<void>((resolve, reject) => {
    prometheus.once('spawn', resolve)
    prometheus.once('error', (err) => { reject(new Error(`prometheus: ${err.message} (apt-get install prometheus)`)) })
  })
})

after(async () => {
  if (prometheus?.exitCode === null && prometheus.signalCode === null) {
    const exited = new Promise((resolve) => prometheus.once('exit', resolve))
    prometheus.kill('SIGTERM')
    await exited
  }
  await gw?.close()
  await backend?.close()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

test('Prometheus scrapes turnpike_requests_total with the route label', async () => {
  const series = await eventually('a turnpike_requests_total sample', async () => {
    const answer = await api('/api/v1/query?query=' + encodeURIComponent('turnpike_requests_total{route="app"}'))
    const result = answer?.data?.result as Json[] | undefined
    return result !== undefined && result.length > 0 ? result : undefined
  })
  assert.deepEqual(series.map((s) => ({ route: s.metric.route, method: s.metric.method, status: s.metric.status, job: s.metric.job })),
    [{ route: 'app', method: 'GET', status: '200', job: 'turnpike' }])
  assert.equal(series[0]?.value[1], '5')
})

test('every alert rule evaluates without error against the scraped series', async () => {
  const rules = await eventually('a first evaluation of every rule', async () => {
    const answer = await api('/api/v1/rules')
    const all = ((answer?.data?.groups ?? []) as Json[]).flatMap((g) => g.rules as Json[])
    return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : undefined
  })
  assert.ok(rules.length >= 8, `${rules.length} rules loaded`)
  for (const rule of rules) assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError ?? ''}`)
})

test('every Grafana dashboard query is valid PromQL', async () => {
  const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'deploy', 'grafana', 'dashboards', 'turnpike.json'), 'utf8')) as Json
  const exprs = (dashboard.panels as Json[]).flatMap((p) => (p.targets ?? []) as Json[]).map((t) => t.expr as string)
  assert.ok(exprs.length >= 15)
  for (const expr of exprs) {
    // Grafana's variables, as Grafana would substitute them.
    const query = expr.replaceAll('$__rate_interval', '1m').replaceAll('$instance', '.+')
    const answer = await eventually('an answer to a query', async () => await api('/api/v1/query?query=' + encodeURIComponent(query)))
    assert.equal(answer.status, 'success', `${expr}: ${answer.error ?? ''}`)
  }
})
