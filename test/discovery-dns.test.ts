// DNS discovery against a real DNS server on 127.0.0.1 and backends on 127.0.0.2, .3 …
// on one port, with the records changed while the gateway runs: a target that stays
// keeps its state, a new one joins (after its first passing check when checks are on),
// a removed one finishes what it has, and a failed or empty lookup keeps the last
// good answer.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import { request } from 'undici'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'
import { startDnsServer, type DnsServer } from './helpers/dns-server.js'
import { startFleet } from './helpers/loopback-backends.js'
import { DiscoveredUpstream } from '../src/upstream/discovery/discovered-upstream.js'
import { healthChange } from './helpers/health.js'
import { healthOf } from '../src/upstream/health/target-health.js'

function discovered (gw: TestGateway, name: string): DiscoveredUpstream {
  const upstream = gw.gateway.generation.built.upstreams.get(name)
  assert.ok(upstream instanceof DiscoveredUpstream)
  return upstream
}

/** Resolves after the next DNS answer that changes the targets. */
async function nextChange (gw: TestGateway, name: string): Promise<void> {
  await once(discovered(gw, name).discovery, 'change')
}

async function backendsOf (gw: TestGateway, n: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const response = await request(`${gw.url}/x`)
    await response.body.dump()
    assert.equal(response.statusCode, 200)
    const backend = String(response.headers['x-backend'])
    seen.set(backend, (seen.get(backend) ?? 0) + 1)
  }
  return seen
}

async function metricValue (gw: TestGateway, series: string): Promise<number | undefined> {
  const text = await (await request(`${gw.adminUrl}/metrics`)).body.text()
  const line = text.split('\n').find((l) => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.split(' ').pop())
}

function config (dns: DnsServer, discovery: string, extra = ''): string {
  return `${BASE}upstreams:
  users:
    discovery: { ${discovery}, resolver: "${dns.address}", refresh: 50ms }
${extra}routes:
  - { name: users, match: { path: / }, upstream: users }
`
}

test('dns: every A and AAAA address is a target; records changed at run time move the targets, and one that stays keeps its state', async (t) => {
  const dns = await startDnsServer()
  const fleet = await startFleet(3)
  dns.zones.set('users.test', { A: ['127.0.0.2', '127.0.0.3'] })
  const gw = await startGateway(config(dns, `dns: users.test, port: ${fleet.port}`))
  t.after(async () => { await gw.close(); await fleet.close(); await dns.close() })

  // The first answer is in before the gateway takes traffic.
  assert.deepEqual([...(await backendsOf(gw, 10)).keys()].sort(), ['127.0.0.2', '127.0.0.3'])
  const backends = await (await request(`${gw.adminUrl}/backends`)).body.json() as { upstreams: { users: { targets: Array<{ url: string, discovered?: boolean }> } } }
  assert.deepEqual(backends.upstreams.users.targets.map((t) => [t.url, t.discovered]),
    [[`http://127.0.0.2:${fleet.port}`, true], [`http://127.0.0.3:${fleet.port}`, true]])
  assert.equal(await metricValue(gw, 'turnpike_discovery_targets{upstream="users"}'), 2)
  // Host is the configured name, not an address.
  const stayed = discovered(gw, 'users').targets.find((t) => t.origin.includes('127.0.0.3'))
  assert.equal(stayed?.host, `users.test:${fleet.port}`)

  const changed = nextChange(gw, 'users')
  dns.zones.set('users.test', { A: ['127.0.0.3', '127.0.0.4'], AAAA: ['::1'] })
  await changed
  const after = discovered(gw, 'users').targets
  assert.deepEqual(after.map((t) => t.origin), [`http://127.0.0.3:${fleet.port}`, `http://127.0.0.4:${fleet.port}`, `http://[::1]:${fleet.port}`])
  // Same registry state object: pool, health, breaker and counters all carried over.
  assert.equal(after[0]?.state, stayed?.state)
  // [::1] has no backend: it fails, but 127.0.0.2 (removed) gets nothing any more.
  const before2 = fleet.backends[0]!.hits
  for (let i = 0; i < 9; i++) await (await request(`${gw.url}/x`)).body.dump()
  assert.equal(fleet.backends[0]!.hits, before2)
  assert.ok(fleet.backends[2]!.hits > 0, '127.0.0.4 joined')
})

test('dns: a removed target finishes its in-flight request; a failed or empty lookup keeps the last good answer, logged and counted', async (t) => {
  const dns = await startDnsServer()
  const held: Array<() => void> = []
  const fleet = await startFleet(2, (req, res, backend) => {
    const answer = (): void => { res.writeHead(200, { 'x-backend': backend.ip }).end(backend.ip) }
    if (req.url === '/hold') held.push(answer)
    else answer()
  })
  dns.zones.set('users.test', { A: ['127.0.0.2'] })
  const gw = await startGateway(config(dns, `dns: users.test, port: ${fleet.port}`))
  t.after(async () => { await gw.close(); await fleet.close(); await dns.close() })

  const inflight = request(`${gw.url}/hold`)
  while (held.length === 0) await new Promise((resolve) => setImmediate(resolve))
  const changed = nextChange(gw, 'users')
  dns.zones.set('users.test', { A: ['127.0.0.3'] })
  await changed
  assert.deepEqual([...(await backendsOf(gw, 4)).keys()], ['127.0.0.3'])
  held[0]!()
  const response = await inflight
  assert.equal(response.statusCode, 200)
  assert.equal(await response.body.text(), '127.0.0.2')

  const failures = async (): Promise<number> => await metricValue(gw, 'turnpike_discovery_failures_total{upstream="users"}') ?? 0
  const discovery = discovered(gw, 'users').discovery
  for (const mode of ['servfail', 'empty', 'unknown name'] as const) {
    const before = await failures()
    if (mode === 'servfail') dns.mode = 'servfail'
    if (mode === 'empty') { dns.mode = 'answer'; dns.zones.set('users.test', {}) }
    if (mode === 'unknown name') dns.zones.delete('users.test')
    await once(discovery, 'failure')
    assert.ok(await failures() > before, `${mode} counted`)
    assert.deepEqual([...(await backendsOf(gw, 3)).keys()], ['127.0.0.3'], `${mode}: last good answer kept`)
  }
})

test('dns with health checks: a new target enters only after its first passing check', async (t) => {
  const dns = await startDnsServer()
  const fleet = await startFleet(2)
  fleet.backends[1]!.healthy = false
  dns.zones.set('users.test', { A: ['127.0.0.2'] })
  const gw = await startGateway(config(dns, `dns: users.test, port: ${fleet.port}`,
    '    healthCheck: { interval: 50ms, timeout: 500ms, healthyThreshold: 3, unhealthyThreshold: 3 }\n'))
  t.after(async () => { await gw.close(); await fleet.close(); await dns.close() })

  const changed = nextChange(gw, 'users')
  dns.zones.set('users.test', { A: ['127.0.0.2', '127.0.0.3'] })
  await changed
  const joining = discovered(gw, 'users').targets[1]!
  const health = healthOf(joining.state)!
  assert.equal(health.healthy, false, 'out of rotation until a check passes')
  assert.deepEqual([...(await backendsOf(gw, 6)).keys()], ['127.0.0.2'])
  fleet.backends[1]!.healthy = true
  // One pass is enough to join (healthyThreshold is for returning targets).
  await healthChange(health, (s) => s.available, 5000)
  assert.deepEqual([...(await backendsOf(gw, 6)).keys()].sort(), ['127.0.0.2', '127.0.0.3'])
})

test('srv: targets, ports and weights come from the records of the lowest priority', async (t) => {
  const dns = await startDnsServer()
  const fleet = await startFleet(3)
  dns.zones.set('_http._tcp.users.test', {
    SRV: [
      { priority: 0, weight: 3, port: fleet.port, target: 'a.users.test' },
      { priority: 0, weight: 1, port: fleet.port, target: 'b.users.test' },
      { priority: 10, weight: 100, port: fleet.port, target: 'c.users.test' } // a fallback: not used
    ]
  })
  dns.zones.set('a.users.test', { A: ['127.0.0.2'] })
  dns.zones.set('b.users.test', { A: ['127.0.0.3'] })
  dns.zones.set('c.users.test', { A: ['127.0.0.4'] })
  const gw = await startGateway(config(dns, 'srv: _http._tcp.users.test').replace('upstreams:\n  users:\n', 'upstreams:\n  users:\n    balancer: weighted-round-robin\n'))
  t.after(async () => { await gw.close(); await fleet.close(); await dns.close() })

  const targets = discovered(gw, 'users').targets
  assert.deepEqual(targets.map((t) => [t.origin, t.weight, t.host]),
    [[`http://127.0.0.2:${fleet.port}`, 3, `a.users.test:${fleet.port}`], [`http://127.0.0.3:${fleet.port}`, 1, `b.users.test:${fleet.port}`]])
  // Smooth weighted round-robin: exactly 3:1 over a multiple of the total weight.
  const seen = await backendsOf(gw, 40)
  assert.deepEqual(Object.fromEntries(seen), { '127.0.0.2': 30, '127.0.0.3': 10 })
})

test('a reload that keeps the discovery keeps its answer and its targets', async (t) => {
  const dns = await startDnsServer()
  const fleet = await startFleet(1)
  dns.zones.set('users.test', { A: ['127.0.0.2'] })
  const gw = await startGateway(config(dns, `dns: users.test, port: ${fleet.port}`))
  t.after(async () => { await gw.close(); await fleet.close(); await dns.close() })
  const before = discovered(gw, 'users').targets[0]!.state
  dns.mode = 'silent' // the new generation cannot have looked it up itself
  const result = await gw.gateway.reload('test', true)
  assert.equal((result as { result: string }).result, 'success')
  assert.equal(discovered(gw, 'users').targets[0]?.state, before)
  assert.deepEqual([...(await backendsOf(gw, 2)).keys()], ['127.0.0.2'])
})
