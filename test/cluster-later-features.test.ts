// Features that landed beside `server.workers`, run with `workers: 2`: a discovered
// upstream with health checks (each worker checks the targets its own lookups find,
// since the primary checks listed targets only), and TLS on the data plane (each
// worker serves the certificates itself).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { Agent, request } from 'undici'
import { CertFactory } from './helpers/certs.js'
import { startChildGateway } from './helpers/child.js'
import { startDnsServer } from './helpers/dns-server.js'
import { startFleet } from './helpers/loopback-backends.js'

test('workers: 2 with a discovered, health-checked upstream: a target that joins later is checked by the workers and served', async (t) => {
  const dns = await startDnsServer()
  const fleet = await startFleet(3)
  dns.zones.set('users.test', { A: ['127.0.0.2', '127.0.0.3'] })
  const gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0, workers: 2 }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: false }
upstreams:
  users:
    discovery: { dns: users.test, port: ${fleet.port}, resolver: "${dns.address}", refresh: 50ms }
    healthCheck: { path: /health, interval: 100ms, timeout: 1s, healthyThreshold: 1, unhealthyThreshold: 1 }
routes:
  - { name: users, match: { path: / }, upstream: users }
`)
  t.after(async () => { await gw.close(); await fleet.close(); await dns.close() })
  const joiner = fleet.backends[2]!
  dns.zones.set('users.test', { A: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] })
  // Bounded: until 127.0.0.4 has served (it joins after its first passing check).
  const statuses = new Set<number>()
  for (let i = 0; i < 2000 && joiner.hits === 0; i++) {
    const res = await request(gw.url + '/x', { headers: { connection: 'close' } })
    await res.body.dump()
    statuses.add(res.statusCode)
  }
  assert.ok(joiner.hits > 0, 'the target that joined later is served')
  assert.deepEqual([...statuses], [200])
})

test('workers: 2 with server.tls: every worker serves the certificate', async (t) => {
  const certs = await CertFactory.create()
  const ca = certs.ca('edge-ca')
  const leaf = await certs.leaf(ca, 'api', { dns: ['api.test'] })
  const gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0, workers: 2, tls: { cert: ${leaf.cert}, key: ${leaf.key} } }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: true }
upstreams:
  app: { targets: [{ url: http://127.0.0.1:9 }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  const agent = new Agent({ connect: { ca: readFileSync(ca.cert), servername: 'api.test' } })
  t.after(async () => { await gw.close(); await agent.close(); await certs.close() })
  const url = gw.url.replace('http://', 'https://')
  const pids = new Set<unknown>()
  // A new connection per request, so both workers take some (bounded).
  for (let i = 0; i < 200 && pids.size < 2; i++) {
    const res = await request(url + '/nowhere-' + String(i), { dispatcher: agent, headers: { connection: 'close' } })
    await res.body.dump()
    assert.equal(res.statusCode, 502, 'TLS ended at the gateway; the upstream on port 9 refuses')
    const line = await gw.waitForLog((l) => l.msg === 'access' && l.path === '/nowhere-' + String(i))
    pids.add(line.pid)
  }
  assert.equal(pids.size, 2, 'both workers answered over TLS')
})
