// IP rules on the data plane: deny → 403, a non-empty allow admits only its
// addresses, exempt wins over both. The test client can only connect from loopback, so
// the gateway trusts the proxy header and each request presents its address in
// X-Forwarded-For.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'
import WebSocket, { WebSocketServer } from 'ws'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'
import { IpRuleSet } from '../src/ip-rules/rule-set.js'

let backend: Backend
let denying: TestGateway
let allowing: TestGateway

const yaml = (ipFilter: string): string => `${BASE.replace('port: 0 }', 'port: 0, trustProxy: true }')}
security:
  ipFilter: ${ipFilter}
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`

before(async () => {
  backend = await startBackend()
  denying = await startGateway(yaml('{ deny: ["203.0.113.0/24", "2001:db8:bad::/48", "198.51.100.7"], exempt: ["203.0.113.5"] }'))
  allowing = await startGateway(yaml('{ allow: ["192.0.2.0/24", "2001:db8:600d::1"], exempt: ["198.51.100.0/24"] }'))
})

after(async () => {
  await denying.close()
  await allowing.close()
  await backend.close()
})

async function from (gw: TestGateway, ip: string): Promise<{ status: number, body: Record<string, unknown> }> {
  const res = await request(`${gw.url}/x`, { headers: { 'x-forwarded-for': ip } })
  return { status: res.statusCode, body: await res.body.json() as Record<string, unknown> }
}

async function blocked (gw: TestGateway, reason: string): Promise<number> {
  const text = await (await request(`${gw.adminUrl}/metrics`)).body.text()
  const match = new RegExp(`turnpike_blocked_ips_total\\{reason="${reason}"\\} (\\d+)`).exec(text)
  return Number(match?.[1] ?? 0)
}

test('deny: an address in a denied CIDR gets 403 TURNPIKE_IP_DENIED, counted as reason="deny"; others pass', async () => {
  const seenBefore = backend.seen.length
  const countBefore = await blocked(denying, 'deny')
  const res = await from(denying, '203.0.113.77')
  assert.equal(res.status, 403)
  assert.equal(res.body.code, 'TURNPIKE_IP_DENIED')
  assert.equal(res.body.statusCode, 403)
  assert.equal(typeof res.body.requestId, 'string')
  assert.equal((await from(denying, '198.51.100.7')).status, 403, 'a single denied address')
  assert.equal(backend.seen.length, seenBefore, 'nothing denied reached the backend')
  assert.equal(await blocked(denying, 'deny'), countBefore + 2)
  assert.equal((await from(denying, '198.51.100.8')).status, 200)
  assert.equal((await from(denying, '192.0.2.1')).status, 200)
})

test('exempt wins over deny: an exempt address inside a denied range passes', async () => {
  assert.equal((await from(denying, '203.0.113.5')).status, 200)
  assert.equal((await from(denying, '203.0.113.6')).status, 403)
})

test('IPv6: a denied /48 matches its addresses however they are written', async () => {
  assert.equal((await from(denying, '2001:db8:bad::1')).status, 403)
  assert.equal((await from(denying, '2001:DB8:BAD:0:0:0:0:ffff')).status, 403)
  assert.equal((await from(denying, '2001:db8:bae::1')).status, 200)
})

test('IPv4-mapped IPv6 clients match IPv4 rules', async () => {
  assert.equal((await from(denying, '::ffff:203.0.113.9')).status, 403)
  assert.equal((await from(denying, '::ffff:198.51.100.7')).status, 403)
  assert.equal((await from(denying, '::ffff:203.0.113.5')).status, 200, 'mapped exempt address')
  assert.equal((await from(allowing, '::ffff:192.0.2.10')).status, 200, 'mapped allowed address')
})

test('allow: only listed addresses pass; the rest get 403 counted as reason="allow"', async () => {
  const countBefore = await blocked(allowing, 'allow')
  assert.equal((await from(allowing, '192.0.2.200')).status, 200)
  assert.equal((await from(allowing, '2001:db8:600d::1')).status, 200)
  const refused = await from(allowing, '10.1.2.3')
  assert.equal(refused.status, 403)
  assert.equal(refused.body.code, 'TURNPIKE_IP_DENIED')
  assert.equal((await from(allowing, '2001:db8:600d::2')).status, 403)
  assert.equal((await from(allowing, 'not-an-address')).status, 403, 'a garbled address is on no allow list')
  assert.equal(await blocked(allowing, 'allow'), countBefore + 3)
})

test('exempt addresses pass a non-empty allow list they are not on', async () => {
  assert.equal((await from(allowing, '198.51.100.99')).status, 200)
})

test('a gateway without ipFilter admits everyone', async () => {
  const gw = await startGateway(`${BASE}
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
  try {
    assert.equal((await from(gw, '203.0.113.77')).status, 200)
  } finally {
    await gw.close()
  }
})

test('WebSocket: the rules apply to the handshake', async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await once(wss, 'listening')
  const gw = await startGateway(`${BASE.replace('port: 0 }', 'port: 0, trustProxy: true }')}
security:
  ipFilter: { deny: ["203.0.113.0/24"] }
upstreams:
  ws: { targets: [{ url: http://127.0.0.1:${(wss.address() as AddressInfo).port} }] }
routes:
  - { name: ws, match: { path: /ws }, upstream: ws, websocket: true }
`)
  t.after(async () => {
    await gw.close()
    for (const client of wss.clients) client.terminate()
    await new Promise((resolve) => wss.close(resolve))
  })
  const handshake = async (ip: string): Promise<number> => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws`, { headers: { 'x-forwarded-for': ip } })
    const outcome = await Promise.race([
      once(ws, 'open').then(() => 101),
      once(ws, 'unexpected-response').then(([, res]) => (res as { statusCode: number }).statusCode)
    ])
    ws.terminate()
    return outcome
  }
  assert.equal(await handshake('203.0.113.9'), 403)
  assert.equal(await handshake('198.51.100.9'), 101)
})

test('IpRuleSet: verdicts, with exempt first, then deny, then allow', () => {
  const rules = new IpRuleSet({ allow: ['10.0.0.0/8'], deny: ['10.9.0.0/16'], exempt: ['10.9.9.9'] })
  assert.equal(rules.empty, false)
  assert.equal(rules.verdict('10.1.1.1'), 'pass')
  assert.equal(rules.verdict('10.9.1.1'), 'deny')
  assert.equal(rules.verdict('10.9.9.9'), 'exempt')
  assert.equal(rules.verdict('11.0.0.1'), 'allow')
  assert.equal(rules.verdict('::ffff:10.9.1.1'), 'deny')
  assert.equal(new IpRuleSet({ allow: [], deny: [], exempt: [] }).empty, true)
})
