// Splits, mirrors, upstream limits and discovery with `server.workers: 2`, every request
// on a connection of its own so that both workers serve (the access log's `worker` says
// which). A split draws in each worker and hashes `stickyBy` the same way in each, so
// weights and sticky keys hold for the gateway; each worker mirrors the requests it
// serves; `limits` count per target per worker (docs/operations.md says how to size it);
// each worker resolves a discovered upstream itself.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import { startBackend } from './helpers/backend.js'
import { startChildGateway, type ChildGateway, type LogLine } from './helpers/child.js'
import { fresh, waitForLines } from './helpers/cluster.js'
import { startDnsServer } from './helpers/dns-server.js'
import { startFleet } from './helpers/loopback-backends.js'

const named = async (name: string): Promise<Awaited<ReturnType<typeof startBackend>>> =>
  await startBackend((_req, res) => { res.writeHead(200, { 'x-backend': name }).end(name) })

/** `n` requests, eight at a time, each on a new connection, request id `${prefix}-${i}`. */
async function sendFresh (url: string, n: number, prefix: string, headers: (i: number) => Record<string, string> = () => ({})): Promise<string[]> {
  const out = new Array<string>(n)
  let next = 0
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < n) {
      const i = next++
      const res = await fresh(url, { headers: { 'x-request-id': `${prefix}-${i}`, ...headers(i) } })
      assert.equal(res.status, 200)
      out[i] = res.body
    }
  }))
  return out
}

/** The access-log line of each request `${prefix}-0` … `${prefix}-${n - 1}`, by index. */
async function accessLines (gw: ChildGateway, prefix: string, n: number): Promise<LogLine[]> {
  const ours = (l: LogLine): boolean => l.msg === 'access' && typeof l.reqId === 'string' && l.reqId.startsWith(`${prefix}-`)
  await waitForLines(gw, ours, n)
  const lines = new Array<LogLine>(n)
  for (const line of gw.logs.filter(ours)) lines[Number((line.reqId as string).slice(prefix.length + 1))] = line
  return lines
}

/** The sum of the series of `name` that carry every one of `labels` (e.g. 'route="app"'). */
async function metricSum (gw: ChildGateway, name: string, labels: string[]): Promise<number> {
  const text = await (await request(`${gw.adminUrl}/metrics`)).body.text()
  return text.split('\n')
    .filter((l) => l.startsWith(name + '{') && labels.every((label) => l.includes(label)))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0)
}

function gatewayYaml (body: string): string {
  return `
server: { host: 127.0.0.1, port: 0, workers: 2 }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: true }
${body}`
}

test('workers: 2, split 90/10: the weights hold over the gateway and in each worker', async (t) => {
  const stable = await named('stable')
  const canary = await named('canary')
  const gw = await startChildGateway(gatewayYaml(`upstreams:
  stable: { targets: [{ url: ${stable.url} }] }
  canary: { targets: [{ url: ${canary.url} }] }
routes:
  - { name: users, match: { path: / }, split: [{ upstream: stable, weight: 90 }, { upstream: canary, weight: 10 }] }
`))
  t.after(async () => { await gw.close(); await stable.close(); await canary.close() })

  const answers = await sendFresh(`${gw.url}/x`, 1000, 'split')
  const lines = await accessLines(gw, 'split', 1000)
  const byWorker = new Map<unknown, { total: number, canary: number }>()
  answers.forEach((answer, i) => {
    const line = lines[i] as LogLine
    assert.equal(line.upstream, answer, 'the access log names the upstream that answered')
    const counts = byWorker.get(line.worker) ?? { total: 0, canary: 0 }
    counts.total++
    if (answer === 'canary') counts.canary++
    byWorker.set(line.worker, counts)
  })
  assert.equal(byWorker.size, 2, 'both workers served')
  // Gateway: Binomial(1000, 0.1), mean 100, sd 9.5: ±5 sd is 53…147 (as the one-process test).
  const canaryHits = answers.filter((a) => a === 'canary').length
  assert.ok(canaryHits >= 53 && canaryHits <= 147, `canary got ${canaryHits} of 1000`)
  // Each worker: Binomial(total, 0.1) with total about 500 (sd about 6.7): within 5 sd of its own mean.
  for (const [worker, counts] of byWorker) {
    const mean = counts.total * 0.1
    const sd = Math.sqrt(counts.total * 0.1 * 0.9)
    assert.ok(Math.abs(counts.canary - mean) <= 5 * sd, `worker ${String(worker)}: canary ${counts.canary} of ${counts.total}`)
  }
  // The split's counts come summed from both workers.
  assert.equal(await metricSum(gw, 'turnpike_requests_total', ['route="users"', 'upstream="canary"']), canaryHits)
})

test('workers: 2, stickyBy: a key keeps its upstream whichever worker serves it', async (t) => {
  const a = await named('a')
  const b = await named('b')
  const gw = await startChildGateway(gatewayYaml(`upstreams:
  a: { targets: [{ url: ${a.url} }] }
  b: { targets: [{ url: ${b.url} }] }
routes:
  - name: users
    match: { path: / }
    split: [{ upstream: a, weight: 50 }, { upstream: b, weight: 50 }]
    stickyBy: header:x-user
`))
  t.after(async () => { await gw.close(); await a.close(); await b.close() })

  const users = 60
  const n = users * 4
  const answers = await sendFresh(`${gw.url}/x`, n, 'sticky', (i) => ({ 'x-user': `user-${i % users}` }))
  const lines = await accessLines(gw, 'sticky', n)
  const sides = new Map<string, Set<string>>()
  const workers = new Map<string, Set<unknown>>()
  answers.forEach((answer, i) => {
    const user = `user-${i % users}`
    sides.set(user, (sides.get(user) ?? new Set()).add(answer))
    workers.set(user, (workers.get(user) ?? new Set()).add(lines[i]?.worker))
  })
  for (const [user, seen] of sides) assert.equal(seen.size, 1, `${user} went to ${[...seen].join(' and ')}`)
  // The point of the test: keys that both workers served. With connections handed out
  // round-robin, a key's four requests all land on one worker about one time in eight.
  const onBoth = [...workers.values()].filter((w) => w.size === 2).length
  assert.ok(onBoth >= users / 4, `only ${onBoth} of ${users} keys were served by both workers`)
  const onA = [...sides.values()].filter((s) => s.has('a')).length
  assert.ok(onA > 0 && onA < users, `${onA} of ${users} keys on a`)
})

test('workers: 2, mirror: each worker copies the requests it serves, once each; the copies are counted over the gateway', async (t) => {
  const real = await named('real')
  const copies: string[] = []
  let copied: () => void = () => undefined
  const shadow = await startBackend((req, res) => {
    copies.push(String(req.headers['x-request-id']))
    copied()
    res.writeHead(500).end('the shadow fails; nobody sees it')
  })
  const gw = await startChildGateway(gatewayYaml(`upstreams:
  real: { targets: [{ url: ${real.url} }] }
  shadow: { targets: [{ url: ${shadow.url} }] }
routes:
  - { name: app, match: { path: / }, upstream: real, mirror: { upstream: shadow, percent: 100 } }
`))
  t.after(async () => { await gw.close(); await real.close(); await shadow.close() })

  const n = 200
  const answers = await sendFresh(`${gw.url}/x`, n, 'mirror')
  assert.deepEqual(new Set(answers), new Set(['real']))
  const lines = await accessLines(gw, 'mirror', n)
  assert.equal(new Set(lines.map((l) => l.worker)).size, 2, 'both workers served')
  // Bounded: a copy is sent after its real request; wait for the last of them.
  while (copies.length < n) await new Promise<void>((resolve) => { copied = resolve })
  assert.deepEqual([...copies].sort(), Array.from({ length: n }, (_, i) => `mirror-${i}`).sort(), 'every request copied exactly once')
  // Each copy is counted once its answer is read; the admin sums the workers' counts.
  const deadline = Date.now() + 10_000
  const sent = async (): Promise<number> => await metricSum(gw, 'turnpike_mirror_requests_total', ['route="app"', 'result="sent"'])
  while (await sent() < n && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal(await sent(), n)
})

test('workers: 2, limits: maxConnections counts per target per worker, and past it each worker answers 503', async (t) => {
  const held: Array<() => void> = []
  let arrived: () => void = () => undefined
  const backend = await startBackend((req, res) => {
    const answer = (): void => { res.writeHead(200).end('ok') }
    if (req.url === '/hold') {
      held.push(answer)
      arrived()
    } else {
      answer()
    }
  })
  const gw = await startChildGateway(gatewayYaml(`upstreams:
  app:
    targets: [{ url: ${backend.url} }]
    limits: { maxConnections: 1, maxPending: 0 }
routes:
  - { name: app, match: { path: / }, upstream: app }
`))
  t.after(async () => { await gw.close(); await backend.close() })

  // Each request on a new connection, one at a time, until both workers hold one:
  // then the target has 2 = workers × maxConnections requests in flight.
  const holding: Array<Promise<{ status: number }>> = []
  const refused: Array<{ status: number, headers: Record<string, unknown>, body: string }> = []
  for (let i = 0; i < 50 && held.length < 2; i++) {
    const before = held.length
    const reached = new Promise<void>((resolve) => { arrived = resolve })
    const answer = fresh(`${gw.url}/hold`, { headers: { 'x-request-id': `limits-${i}` } })
    const first = await Promise.race([reached.then(() => 'held' as const), answer.then((res) => res)])
    if (first === 'held') holding.push(answer)
    else refused.push(first)
    assert.ok(held.length === before + (first === 'held' ? 1 : 0))
  }
  assert.equal(held.length, 2, 'each worker let one request through')
  // Whichever worker the next connections land on, its one connection is taken: 503.
  for (let i = 0; i < 6; i++) refused.push(await fresh(`${gw.url}/other`))
  assert.equal(held.length, 2, 'the target never saw a third request')
  for (const res of refused) {
    assert.equal(res.status, 503)
    assert.equal((JSON.parse(res.body) as { code: string }).code, 'TURNPIKE_UPSTREAM_OVERLOADED')
    assert.ok(res.headers['retry-after'] !== undefined)
  }
  assert.equal(await metricSum(gw, 'turnpike_upstream_overloaded_total', ['upstream="app"']), refused.length)

  for (const answer of held) answer()
  for (const res of await Promise.all(holding)) assert.equal(res.status, 200)
  const lines = await accessLines(gw, 'limits', holding.length + refused.length - 6)
  const servedBy = new Set(lines.filter((l) => l.status === 200).map((l) => l.worker))
  assert.equal(servedBy.size, 2, 'the two requests in flight were on different workers')
  // With the connections free again, both workers serve.
  assert.equal((await fresh(`${gw.url}/other`)).status, 200)
  assert.equal((await fresh(`${gw.url}/other`)).status, 200)
})

test('workers: 2, discovery: each worker follows the DNS answer; a removed target gets no more requests from either', async (t) => {
  const dns = await startDnsServer()
  const fleet = await startFleet(2)
  dns.zones.set('users.test', { A: ['127.0.0.2', '127.0.0.3'] })
  const gw = await startChildGateway(gatewayYaml(`upstreams:
  users:
    discovery: { dns: users.test, port: ${fleet.port}, resolver: "${dns.address}", refresh: 50ms }
routes:
  - { name: users, match: { path: / }, upstream: users }
`))
  t.after(async () => { await gw.close(); await fleet.close(); await dns.close() })
  const sendAll = async (prefix: string): Promise<LogLine[]> => {
    const answers = await sendFresh(`${gw.url}/x`, 40, prefix)
    const lines = await accessLines(gw, prefix, 40)
    answers.forEach((answer, i) => { assert.equal(lines[i]?.target, `http://${answer}:${fleet.port}`) })
    return lines
  }
  const before = await sendAll('dns-before')
  assert.equal(new Set(before.map((l) => l.worker)).size, 2, 'both workers served')
  assert.deepEqual(new Set(before.map((l) => l.target)), new Set([`http://127.0.0.2:${fleet.port}`, `http://127.0.0.3:${fleet.port}`]))

  dns.zones.set('users.test', { A: ['127.0.0.2'] })
  // Each worker looks up on its own and logs the change it saw.
  const changed = (l: LogLine): boolean => l.msg === 'discovery: targets changed' && (l.removed as string[] | undefined)?.length === 1
  await waitForLines(gw, changed, 2)
  assert.deepEqual(new Set(gw.logs.filter(changed).map((l) => l.worker)), new Set(before.map((l) => l.worker)))
  const hitsOfRemoved = fleet.backends[1]!.hits
  const after = await sendAll('dns-after')
  assert.equal(new Set(after.map((l) => l.worker)).size, 2, 'both workers served')
  assert.deepEqual(new Set(after.map((l) => l.target)), new Set([`http://127.0.0.2:${fleet.port}`]))
  assert.equal(fleet.backends[1]!.hits, hitsOfRemoved, 'the removed target got nothing more')
})
