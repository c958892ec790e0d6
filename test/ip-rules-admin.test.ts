// Run-time IP rules through the admin API: GET /ip-rules lists the effective
// rules; PUT/DELETE /ip-rules/{allow,deny,exempt}/:cidr change them (token, `/` as %2F).
// Effective = (config ∪ run-time adds) − run-time removals, and a reload keeps the
// run-time part while replacing the config part.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { after, before, test } from 'node:test'
import { request } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { BASE, startGateway, type TestGateway } from './helpers/gateway.js'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

let backend: Backend

before(async () => { backend = await startBackend() })
after(async () => { await backend.close() })

const TOKEN = { authorization: 'Bearer test-token' }

function yaml (deny: string, base = BASE): string {
  return `${base.replace('port: 0 }', 'port: 0, trustProxy: true }')}
security:
  ipFilter: { deny: ${deny}, exempt: ["10.0.0.0/8"] }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`
}

async function withGateway (text: string, run: (gw: TestGateway) => Promise<void>): Promise<void> {
  const gw = await startGateway(text)
  try {
    await run(gw)
  } finally {
    await gw.close()
  }
}

async function admin (gw: TestGateway, method: string, path: string, headers: Record<string, string> = TOKEN): Promise<{ status: number, json: Json }> {
  const res = await request(gw.adminUrl + path, { method: method as 'GET', headers })
  return { status: res.statusCode, json: await res.body.json() as Json }
}

async function statusFrom (gw: TestGateway, ip: string): Promise<number> {
  const res = await request(`${gw.url}/x`, { headers: { 'x-forwarded-for': ip } })
  await res.body.dump()
  return res.statusCode
}

test('GET /ip-rules lists the effective lists, the config part, the run-time part and Redis state', async () => {
  await withGateway(yaml('["203.0.113.0/24"]'), async (gw) => {
    const { status, json } = await admin(gw, 'GET', '/ip-rules', {})
    assert.equal(status, 200)
    assert.deepEqual(json, {
      allow: [],
      deny: ['203.0.113.0/24'],
      exempt: ['10.0.0.0/8'],
      config: { allow: [], deny: ['203.0.113.0/24'], exempt: ['10.0.0.0/8'] },
      runtime: { added: { allow: [], deny: [], exempt: [] }, removed: { allow: [], deny: [], exempt: [] } },
      redis: 'off'
    })
  })
})

test('PUT adds a CIDR sent with %2F, applied to the data plane at once', async () => {
  await withGateway(yaml('[]'), async (gw) => {
    assert.equal(await statusFrom(gw, '198.51.100.9'), 200)
    const put = await admin(gw, 'PUT', '/ip-rules/deny/198.51.100.0%2F24')
    assert.equal(put.status, 200)
    assert.deepEqual({ ...put.json, rules: undefined }, { list: 'deny', cidr: '198.51.100.0/24', change: 'added', persisted: false, rules: undefined })
    assert.deepEqual(put.json.rules.deny, ['198.51.100.0/24'])
    assert.equal(await statusFrom(gw, '198.51.100.9'), 403)
    assert.equal(await statusFrom(gw, '198.51.101.9'), 200)
    const listed = (await admin(gw, 'GET', '/ip-rules')).json
    assert.deepEqual(listed.deny, ['198.51.100.0/24'])
    assert.deepEqual(listed.runtime.added.deny, ['198.51.100.0/24'])
  })
})

test('IPv6 CIDRs: colons as they are, `/` as %2F, stored in canonical form', async () => {
  await withGateway(yaml('[]'), async (gw) => {
    const put = await admin(gw, 'PUT', '/ip-rules/deny/2001:DB8:0::%2F32')
    assert.equal(put.status, 200)
    assert.equal(put.json.cidr, '2001:db8::/32')
    assert.equal(await statusFrom(gw, '2001:db8:1::5'), 403)
    assert.equal(await statusFrom(gw, '2001:db9::5'), 200)
    const del = await admin(gw, 'DELETE', '/ip-rules/deny/2001:db8::%2F32')
    assert.equal(del.status, 200)
    assert.deepEqual(del.json.rules.deny, [])
    assert.equal(await statusFrom(gw, '2001:db8:1::5'), 200)
  })
})

test('DELETE of a config entry overrides the config; DELETE of a run-time addition forgets it', async () => {
  await withGateway(yaml('["203.0.113.0/24"]'), async (gw) => {
    assert.equal(await statusFrom(gw, '203.0.113.1'), 403)
    const del = await admin(gw, 'DELETE', '/ip-rules/deny/203.0.113.0%2F24')
    assert.equal(del.status, 200)
    assert.equal(del.json.change, 'removed')
    assert.equal(await statusFrom(gw, '203.0.113.1'), 200)
    await admin(gw, 'PUT', '/ip-rules/deny/192.0.2.1')
    await admin(gw, 'DELETE', '/ip-rules/deny/192.0.2.1')
    const listed = (await admin(gw, 'GET', '/ip-rules')).json
    assert.deepEqual(listed.deny, [])
    assert.deepEqual(listed.runtime.removed.deny, ['203.0.113.0/24'])
    assert.deepEqual(listed.runtime.added.deny, [])
  })
})

test('a run-time exempt wins over a config deny', async () => {
  await withGateway(yaml('["203.0.113.0/24"]'), async (gw) => {
    assert.equal((await admin(gw, 'PUT', '/ip-rules/exempt/203.0.113.44')).status, 200)
    assert.equal(await statusFrom(gw, '203.0.113.44'), 200)
    assert.equal(await statusFrom(gw, '203.0.113.45'), 403)
  })
})

test('a run-time allow list admits only its addresses (and the exempt ones)', async () => {
  await withGateway(yaml('[]'), async (gw) => {
    assert.equal((await admin(gw, 'PUT', '/ip-rules/allow/192.0.2.0/24')).status, 200, 'an unencoded `/` is accepted too')
    assert.equal(await statusFrom(gw, '192.0.2.8'), 200)
    assert.equal(await statusFrom(gw, '198.51.100.8'), 403)
    assert.equal(await statusFrom(gw, '10.1.1.1'), 200)
  })
})

test('changes need the bearer token: 401 without it or with a wrong one, and nothing changes', async () => {
  await withGateway(yaml('[]'), async (gw) => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }] as Array<Record<string, string>>) {
      for (const method of ['PUT', 'DELETE']) {
        const res = await admin(gw, method, '/ip-rules/deny/127.0.0.1', headers)
        assert.equal(res.status, 401)
        assert.equal(res.json.code, 'TURNPIKE_ADMIN_UNAUTHORIZED')
      }
    }
    assert.deepEqual((await admin(gw, 'GET', '/ip-rules')).json.deny, [])
  })
})

test('without a configured admin token changes answer 403', async () => {
  const noToken = BASE.replace(', token: test-token', '')
  await withGateway(yaml('[]', noToken), async (gw) => {
    const res = await admin(gw, 'PUT', '/ip-rules/deny/192.0.2.1')
    assert.equal(res.status, 403)
    assert.equal(res.json.code, 'TURNPIKE_ADMIN_FORBIDDEN')
    assert.equal((await admin(gw, 'GET', '/ip-rules')).status, 200)
  })
})

test('a bad address answers 400, an unknown list 404', async () => {
  await withGateway(yaml('[]'), async (gw) => {
    for (const bad of ['10.0.0.0%2F33', 'example.com', '1.2.3.4.5', '2001:db8::%2Fxx']) {
      const res = await admin(gw, 'PUT', `/ip-rules/deny/${bad}`)
      assert.equal(res.status, 400, bad)
      assert.equal(res.json.code, 'TURNPIKE_ADMIN_BAD_CIDR')
    }
    const unknown = await admin(gw, 'PUT', '/ip-rules/block/192.0.2.1')
    assert.equal(unknown.status, 404)
    assert.equal(unknown.json.code, 'TURNPIKE_ADMIN_UNKNOWN_LIST')
    assert.deepEqual((await admin(gw, 'GET', '/ip-rules')).json.runtime.added, { allow: [], deny: [], exempt: [] })
  })
})

test('run-time changes survive a reload, which replaces the config part', async () => {
  await withGateway(yaml('["203.0.113.0/24", "198.51.100.0/24"]'), async (gw) => {
    await admin(gw, 'PUT', '/ip-rules/deny/192.0.2.7')
    await admin(gw, 'DELETE', '/ip-rules/deny/198.51.100.0%2F24')
    await writeFile(gw.file, yaml('["198.51.100.0/24", "233.252.0.0/24"]'))
    const reload = await admin(gw, 'POST', '/reload')
    assert.equal(reload.json.result, 'success')
    const listed = (await admin(gw, 'GET', '/ip-rules')).json
    assert.deepEqual(listed.config.deny, ['198.51.100.0/24', '233.252.0.0/24'])
    assert.deepEqual([...listed.deny].sort(), ['192.0.2.7', '233.252.0.0/24'])
    assert.equal(await statusFrom(gw, '192.0.2.7'), 403, 'run-time add kept')
    assert.equal(await statusFrom(gw, '198.51.100.1'), 200, 'run-time removal kept')
    assert.equal(await statusFrom(gw, '233.252.0.1'), 403, 'new config entry applied')
    assert.equal(await statusFrom(gw, '203.0.113.1'), 200, 'dropped config entry gone')
  })
})
