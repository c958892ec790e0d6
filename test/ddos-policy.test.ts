// DDoS blocking in-process (security.ddos without Redis): an address over `threshold`
// requests per `window` gets 429 + Retry-After for `blockFor`; exempt addresses are
// never counted; a reload with the same settings keeps the blocks.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'
import { LocalDdosStore } from '../src/ddos/local-store.js'

let backend: Backend
let gw: TestGateway

const yaml = (extraRoute = ''): string => `${BASE.replace('port: 0 }', 'port: 0, trustProxy: true }')}
security:
  ddos: { threshold: 3, window: 1m, blockFor: 10m }
  ipFilter: { exempt: ["192.0.2.1"] }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: / }, upstream: app }${extraRoute}
`

before(async () => {
  backend = await startBackend()
  gw = await startGateway(yaml())
})

after(async () => {
  await gw.close()
  await backend.close()
})

async function from (ip: string): Promise<{ status: number, retryAfter: unknown, body: Record<string, unknown> }> {
  const res = await request(`${gw.url}/x`, { headers: { 'x-forwarded-for': ip } })
  return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: await res.body.json() as Record<string, unknown> }
}

async function blockedDdos (): Promise<number> {
  const text = await (await request(`${gw.adminUrl}/metrics`)).body.text()
  return Number(/turnpike_blocked_ips_total\{reason="ddos"\} (\d+)/.exec(text)?.[1] ?? 0)
}

test('over the threshold: 429 TURNPIKE_DDOS_BLOCKED with Retry-After, counted per refused request', async () => {
  const counted = await blockedDdos()
  for (let i = 0; i < 3; i++) assert.equal((await from('198.51.100.1')).status, 200)
  const refused = await from('198.51.100.1')
  assert.equal(refused.status, 429)
  assert.equal(refused.body.code, 'TURNPIKE_DDOS_BLOCKED')
  const seconds = Number(refused.retryAfter)
  assert.ok(seconds > 0 && seconds <= 600, `Retry-After ${String(refused.retryAfter)}`)
  assert.equal((await from('198.51.100.1')).status, 429, 'the block lasts')
  assert.equal(await blockedDdos(), counted + 2)
  assert.equal((await from('198.51.100.2')).status, 200, 'other addresses are not blocked')
})

test('an exempt address is never blocked', async () => {
  for (let i = 0; i < 10; i++) assert.equal((await from('192.0.2.1')).status, 200)
})

test('a reload with the same settings keeps the blocks', async () => {
  for (let i = 0; i < 4; i++) await from('198.51.100.3')
  assert.equal((await from('198.51.100.3')).status, 429)
  await writeFile(gw.file, yaml('\n  - { name: other, match: { path: /other }, upstream: app }'))
  const res = await request(`${gw.adminUrl}/reload`, { method: 'POST', headers: { authorization: 'Bearer test-token' } })
  assert.equal((await res.body.json() as { result: string }).result, 'success')
  assert.equal((await from('198.51.100.3')).status, 429)
})

test('LocalDdosStore: counts per window, blocks for blockFor, then counts afresh (injected clock)', () => {
  let now = 0
  const store = new LocalDdosStore({ threshold: 2, window: 1000, blockFor: 5000 }, () => now)
  assert.equal(store.hit('a'), 0)
  assert.equal(store.hit('a'), 0)
  now = 1000 // a new window: the count starts over
  assert.equal(store.hit('a'), 0)
  assert.equal(store.hit('a'), 0)
  assert.equal(store.hit('a'), 5000)
  now = 4500
  assert.equal(store.hit('a'), 1500, 'the time the block has left')
  assert.equal(store.hit('b'), 0, 'other addresses count on their own')
  now = 6000
  assert.equal(store.hit('a'), 0, 'the block is over')
  assert.equal(store.hit('a'), 0)
  assert.equal(store.hit('a'), 5000, 'a fresh count blocks again')
})

test('LocalDdosStore: bounded, the least recently seen address is forgotten first', () => {
  const store = new LocalDdosStore({ threshold: 1, window: 60_000, blockFor: 60_000 }, () => 0, 2)
  store.hit('a')
  assert.equal(store.hit('a'), 60_000)
  store.hit('b')
  store.hit('c') // evicts a
  assert.equal(store.hit('a'), 0)
})
