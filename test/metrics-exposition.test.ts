// The turnpike_* metrics' names, types and help texts as admin GET /metrics shows them,
// locked: Prometheus rules, Grafana dashboards (deploy/) and users' alerts match on
// them, so changing one is a breaking change and this test makes it a deliberate one.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startChildGateway } from './helpers/child.js'
import { BASE, startGateway } from './helpers/gateway.js'

const EXPECTED = [
  '# HELP turnpike_requests_total Requests answered by the data plane (`upstream`: the one chosen, on split routes only)',
  '# TYPE turnpike_requests_total counter',
  '# HELP turnpike_request_duration_seconds Time from request to the end of the response, in seconds',
  '# TYPE turnpike_request_duration_seconds histogram',
  '# HELP turnpike_active_connections Open client connections to the data plane',
  '# TYPE turnpike_active_connections gauge',
  '# HELP turnpike_config_reloads_total Config reloads by result',
  '# TYPE turnpike_config_reloads_total counter',
  '# HELP turnpike_upstream_target_healthy 1 while a target passes its active health checks and is not ejected by outlier detection, else 0',
  '# TYPE turnpike_upstream_target_healthy gauge',
  '# HELP turnpike_upstream_request_duration_seconds Time from sending an attempt to a target to its response headers (or failure), in seconds',
  '# TYPE turnpike_upstream_request_duration_seconds histogram',
  '# HELP turnpike_circuit_breaker_state Circuit breaker state per target: 0 closed, 1 half-open, 2 open',
  '# TYPE turnpike_circuit_breaker_state gauge',
  '# HELP turnpike_circuit_breaker_trips_total Times a target\'s circuit breaker opened (a failed half-open probe reopens it: one more trip)',
  '# TYPE turnpike_circuit_breaker_trips_total counter',
  '# HELP turnpike_retries_total Retried upstream attempts, by route',
  '# TYPE turnpike_retries_total counter',
  '# HELP turnpike_rate_limited_total Requests refused with 429 by a rate limit, by route',
  '# TYPE turnpike_rate_limited_total counter',
  '# HELP turnpike_blocked_ips_total Requests refused by IP rules or DDoS blocking: deny (on the deny list), allow (not on a non-empty allow list), ddos',
  '# TYPE turnpike_blocked_ips_total counter',
  '# HELP turnpike_cache_requests_total Requests on cached routes by result: hit, miss, bypass',
  '# TYPE turnpike_cache_requests_total counter',
  '# HELP turnpike_redis_errors_total Failed Redis calls (the gateway fell back to in-process state or served uncached)',
  '# TYPE turnpike_redis_errors_total counter',
  '# HELP turnpike_redis_up Redis link: 1 while the gateway uses Redis, 0 while its breaker is open (in-process state); absent without redis.url',
  '# TYPE turnpike_redis_up gauge',
  '# HELP turnpike_websocket_connections Open WebSocket tunnels, by route',
  '# TYPE turnpike_websocket_connections gauge',
  '# HELP turnpike_worker_restarts_total Cluster workers replaced after they died (server.workers > 1)',
  '# TYPE turnpike_worker_restarts_total counter',
  '# HELP turnpike_connections_refused_total Client connections refused by security.connections: per-ip (429), total (503)',
  '# TYPE turnpike_connections_refused_total counter',
  '# HELP turnpike_upstream_pending_requests Requests waiting for a free connection under an upstream\'s limits',
  '# TYPE turnpike_upstream_pending_requests gauge',
  '# HELP turnpike_upstream_overloaded_total Requests refused with 503 TURNPIKE_UPSTREAM_OVERLOADED (queue full or pendingTimeout passed)',
  '# TYPE turnpike_upstream_overloaded_total counter',
  '# HELP turnpike_discovery_targets Targets in the last good DNS answer of a discovered upstream',
  '# TYPE turnpike_discovery_targets gauge',
  '# HELP turnpike_discovery_failures_total DNS lookups of a discovered upstream that failed or came back empty (the last good answer was kept)',
  '# TYPE turnpike_discovery_failures_total counter',
  '# HELP turnpike_mirror_requests_total Mirrored copies by result: sent (answered), failed (no answer), skipped (in-flight cap, body too large or chunked, no target)',
  '# TYPE turnpike_mirror_requests_total counter',
  '# HELP turnpike_internal_errors_total Exceptions caught by the last line of defence (answered 500 instead of ending the process), by socket event',
  '# TYPE turnpike_internal_errors_total counter',
  '# HELP turnpike_plugin_errors_total User plugin hooks that threw (each answered 500 TURNPIKE_PLUGIN_ERROR), by plugin and route',
  '# TYPE turnpike_plugin_errors_total counter',
]

test('every turnpike_* metric keeps its name, type and help text, in order', async (t) => {
  const gw = await startGateway(`${BASE}routes: []\n`)
  t.after(async () => { await gw.close() })
  const res = await fetch(`${gw.adminUrl}/metrics`)
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
  const lines = (await res.text()).split('\n').filter((l) => /^# (HELP|TYPE) turnpike_/.test(l))
  assert.deepEqual(lines, EXPECTED)
})

test('with server.workers: 2 the primary\'s merged /metrics has the same metrics, in the same order', async (t) => {
  const gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0, workers: 2 }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: false }
routes: []
`)
  t.after(async () => { await gw.close() })
  const text = await fetch(`${gw.adminUrl}/metrics`).then(async (r) => await r.text())
  assert.deepEqual(text.split('\n').filter((l) => /^# (HELP|TYPE) turnpike_/.test(l)), EXPECTED)
  // The primary's own counters, not only the workers': each process counts its own.
  assert.match(text, /^turnpike_worker_restarts_total 0$/m)
})

test('the process metrics are there too', async (t) => {
  const gw = await startGateway(`${BASE}routes: []\n`)
  t.after(async () => { await gw.close() })
  const text = await fetch(`${gw.adminUrl}/metrics`).then(async (r) => await r.text())
  assert.match(text, /^# TYPE process_cpu_user_seconds_total counter$/m)
  assert.match(text, /^# TYPE nodejs_eventloop_lag_seconds gauge$/m)
})
