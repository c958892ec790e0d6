// docker-compose.yml: what `docker-compose config` makes of it, and that it
// agrees with the gateway config it mounts and the Prometheus config that scrapes it.
// There is no Docker engine in CI: the stack is validated, never started.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'
import { parseConfigText } from '../src/config/load.js'
import { ROOT } from './helpers/child.js'

// Compose files are checked key by key; a loose JSON type keeps the tests short.
type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

function composeConfig (): Json {
  // Variables the file reads must have defaults: run with none of them set.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' }
  const out = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  return parse(out) as Json
}

interface Mount { source: string, target: string, readOnly: boolean }
interface Port { hostIp: string | undefined, target: number }

// docker-compose 1.x prints short forms (`SRC:DST:ro`, `IP:HOST:CTR/tcp`), compose 2.x
// long ones: both are read.
function mounts (service: Json): Mount[] {
  return ((service.volumes ?? []) as Array<string | Json>).map((v) => {
    if (typeof v !== 'string') return { source: v.source, target: v.target, readOnly: v.read_only === true }
    const [source = '', target = '', mode = 'rw'] = v.split(':')
    return { source, target, readOnly: mode === 'ro' }
  })
}

function ports (service: Json): Port[] {
  return ((service.ports ?? []) as Array<string | Json>).map((p) => {
    if (typeof p !== 'string') return { hostIp: p.host_ip, target: Number(p.target) }
    const parts = p.replace(/\/\w+$/, '').split(':')
    return { hostIp: parts.length === 3 ? parts[0] : undefined, target: Number(parts.at(-1)) }
  })
}

const compose = composeConfig()
const services = compose.services as Json
const gatewayFile = path.join(ROOT, 'deploy', 'compose', 'gateway.yaml')
const gatewayConfig = parseConfigText(readFileSync(gatewayFile, 'utf8'), gatewayFile, {}).config

test('docker-compose config accepts the file and lists the stack services', () => {
  for (const name of ['gateway', 'redis', 'prometheus', 'grafana', 'jaeger', 'backend-a', 'backend-b']) {
    assert.ok(services[name] !== undefined, `service ${name}`)
  }
})

test('the gateway is built from the Dockerfile and runs read-only with no capabilities', () => {
  const gw = services.gateway
  assert.equal(gw.build.context, ROOT)
  assert.equal(gw.build.dockerfile ?? 'Dockerfile', 'Dockerfile')
  assert.equal(gw.read_only, true)
  assert.deepEqual(gw.cap_drop, ['ALL'])
  assert.ok(gw.security_opt.includes('no-new-privileges:true'))
  assert.deepEqual(gw.command, ['dist/src/cli/main.js', 'start', '-c', '/etc/turnpike/gateway.yaml'])
  assert.equal(gw.depends_on.redis.condition, 'service_healthy')
  assert.deepEqual(services.redis.healthcheck.test, ['CMD', 'redis-cli', 'ping'])
})

test('the gateway mounts deploy/compose read-only at /etc/turnpike (a directory, so reloads see renames)', () => {
  assert.deepEqual(mounts(services.gateway), [{ source: path.join(ROOT, 'deploy', 'compose'), target: '/etc/turnpike', readOnly: true }])
})

test('only the data port is published beyond 127.0.0.1', () => {
  for (const [name, service] of Object.entries(services)) {
    for (const port of ports(service)) {
      if (name === 'gateway' && port.target === 8080) continue
      assert.equal(port.hostIp, '127.0.0.1', `${name} publishes ${port.target} on every interface`)
    }
  }
  assert.deepEqual(ports(services.gateway).map((p) => p.target), [8080, 9090])
})

test('the mounted gateway config is valid and binds the ports compose publishes', () => {
  assert.equal(gatewayConfig.server.host, '0.0.0.0')
  assert.equal(gatewayConfig.server.port, 8080)
  assert.equal(gatewayConfig.admin.host, '0.0.0.0')
  assert.equal(gatewayConfig.admin.port, 9090)
  assert.equal(services.gateway.environment.REDIS_URL, 'redis://redis:6379')
  assert.equal(gatewayConfig.redis?.url, 'redis://redis:6379')
})

test('the gateway config targets the two example backends on the port their echo servers listen on', () => {
  const urls = Object.values(gatewayConfig.upstreams).flatMap((u) => (u.targets ?? []).map((t) => new URL(t.url)))
  const expected = ['backend-a', 'backend-b'].map((name) => {
    const command = services[name].command as string[]
    assert.equal(command[0], 'dist/examples/echo-server.js')
    assert.equal(command[command.indexOf('--host') + 1], '0.0.0.0')
    assert.equal(services[name].image, services.gateway.image, 'the backends reuse the gateway image')
    return `${name}:${command[command.indexOf('--port') + 1] ?? ''}`
  })
  assert.deepEqual(urls.map((u) => u.host).sort(), expected)
})

test('tracing points at the stack\'s OTLP/HTTP receiver', () => {
  assert.equal(services.jaeger.environment.COLLECTOR_OTLP_ENABLED, 'true')
  assert.equal(gatewayConfig.tracing?.enabled, true)
  assert.equal(gatewayConfig.tracing?.endpoint, 'http://jaeger:4318/v1/traces')
})

test('prometheus and grafana mount their deploy/ directories', () => {
  const targets = (name: string): Record<string, string> => Object.fromEntries(mounts(services[name])
    .filter((m) => m.source.startsWith('/') && m.readOnly).map((m) => [m.target, path.relative(ROOT, m.source)]))
  assert.deepEqual(targets('prometheus'), { '/etc/prometheus': 'deploy/prometheus' })
  assert.deepEqual(targets('grafana'), {
    '/etc/grafana/provisioning': 'deploy/grafana/provisioning',
    '/var/lib/grafana/dashboards': 'deploy/grafana/dashboards'
  })
  assert.ok(services.prometheus.command.includes('--config.file=/etc/prometheus/prometheus.yml'))
})

test('prometheus scrapes the gateway service on its admin port', () => {
  const prometheus = parse(readFileSync(path.join(ROOT, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8')) as Json
  const job = (prometheus.scrape_configs as Json[]).find((j) => j.job_name === 'turnpike')
  assert.equal(job?.metrics_path, '/metrics')
  assert.deepEqual(job?.static_configs[0].targets, [`gateway:${gatewayConfig.admin.port}`])
})
