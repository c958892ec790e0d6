// `split`: a canary by weight. 90/10 over 1,000 requests, a weight-0 side that gets
// nothing, `stickyBy` keeping each key on one side, each side balancing over its own
// targets, and metrics and the access log naming the upstream chosen.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { startChildGateway } from './helpers/child.js'
import { BASE, startGateway } from './helpers/gateway.js'

const named = async (name: string): Promise<Backend> =>
  await startBackend((_req, res) => { res.writeHead(200, { 'x-backend': name }).end(name) })

async function send (url: string, n: number, headers: (i: number) => Record<string, string> = () => ({})): Promise<string[]> {
  const out = new Array<string>(n)
  let next = 0
  // Eight at a time: quick, and bounded.
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < n) {
      const i = next++
      const response = await request(url, { headers: headers(i) })
      assert.equal(response.statusCode, 200)
      out[i] = await response.body.text()
    }
  }))
  return out
}

test('90/10 over 1,000 requests lands within five standard deviations; a weight-0 upstream gets none; metrics name the upstream', async (t) => {
  const stable1 = await named('stable-1')
  const stable2 = await named('stable-2')
  const canary = await named('canary')
  const off = await named('off')
  const gw = await startGateway(`${BASE}upstreams:
  stable: { targets: [{ url: "${stable1.url}" }, { url: "${stable2.url}" }] }
  canary: { targets: [{ url: "${canary.url}" }] }
  off: { targets: [{ url: "${off.url}" }] }
routes:
  - name: users
    match: { path: / }
    split:
      - { upstream: stable, weight: 90 }
      - { upstream: canary, weight: 10 }
      - { upstream: off, weight: 0 }
`)
  t.after(async () => { await gw.close(); await Promise.all([stable1, stable2, canary, off].map(async (b) => { await b.close() })) })

  const answers = await send(`${gw.url}/x`, 1000)
  const count = (name: string): number => answers.filter((a) => a === name).length
  // Canary hits ~ Binomial(1000, 0.1): mean 100, sd √(1000·0.1·0.9) ≈ 9.5. ±5 sd (53…147)
  // fails a correct split about once in 1.7 million runs, and catches 80/20 or 97/3.
  const canaryHits = count('canary')
  assert.ok(canaryHits >= 53 && canaryHits <= 147, `canary got ${canaryHits} of 1000`)
  assert.equal(count('off'), 0)
  // The stable side balances over its own two targets (round-robin: an even split).
  assert.ok(Math.abs(count('stable-1') - count('stable-2')) <= 1, `stable-1 ${count('stable-1')}, stable-2 ${count('stable-2')}`)

  const metrics = await (await request(`${gw.adminUrl}/metrics`)).body.text()
  const series = (upstream: string): number => Number(metrics.split('\n')
    .find((l) => l.startsWith('turnpike_requests_total{') && l.includes('route="users"') && l.includes(`upstream="${upstream}"`))?.split(' ').pop() ?? 0)
  assert.equal(series('canary'), canaryHits)
  assert.equal(series('stable'), 1000 - canaryHits)
})

test('stickyBy: every request of one key reaches the same upstream while the weights stay', async (t) => {
  const a = await named('a')
  const b = await named('b')
  const gw = await startGateway(`${BASE}upstreams:
  a: { targets: [{ url: "${a.url}" }] }
  b: { targets: [{ url: "${b.url}" }] }
routes:
  - name: users
    match: { path: / }
    split: [{ upstream: a, weight: 50 }, { upstream: b, weight: 50 }]
    stickyBy: header:x-user
`)
  t.after(async () => { await gw.close(); await a.close(); await b.close() })
  const users = 100
  const answers = await send(`${gw.url}/x`, users * 4, (i) => ({ 'x-user': `user-${i % users}` }))
  const side = new Map<string, Set<string>>()
  answers.forEach((answer, i) => {
    const user = `user-${i % users}`
    side.set(user, (side.get(user) ?? new Set()).add(answer))
  })
  for (const [user, sides] of side) assert.equal(sides.size, 1, `${user} went to ${[...sides].join(' and ')}`)
  // Keys spread over both sides: ~Binomial(100, 0.5) users on a; 25…75 is ±5 sd.
  const onA = [...side.values()].filter((s) => s.has('a')).length
  assert.ok(onA >= 25 && onA <= 75, `${onA} of ${users} users on a`)
})

test('the access log names the upstream a split chose', async () => {
  const a = await named('a')
  const gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: true }
upstreams:
  a: { targets: [{ url: ${a.url} }] }
  b: { targets: [{ url: ${a.url} }] }
routes:
  - { name: users, match: { path: / }, split: [{ upstream: a, weight: 0 }, { upstream: b, weight: 1 }] }
`)
  try {
    await (await request(gw.url + '/x', { headers: { 'x-request-id': 'split-log-1' } })).body.dump()
    const line = await gw.waitForLog((l) => l.msg === 'access' && l.reqId === 'split-log-1')
    assert.equal(line.route, 'users')
    assert.equal(line.upstream, 'b')
  } finally {
    await gw.close()
    await a.close()
  }
})
