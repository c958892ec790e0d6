import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { ConfigError, loadConfigFile, parseConfigText } from '../src/config/load.js'

const FULL = `
server:
  host: 127.0.0.1
  port: 8080
  workers: 1
  trustProxy: [10.0.0.0/8, "::1"]
  bodyLimit: 1.5mb
  maxHeaderSize: 16kb
  timeouts: { requestHeader: 10s, keepAlive: 72s, request: 0s, shutdown: 250ms }
admin: { host: 127.0.0.1, port: 9090, token: secret }
logging: { level: warn, format: pretty, accessLog: false }
tracing: { enabled: false }
upstreams:
  users:
    targets:
      - { url: http://10.0.0.11:8000, weight: 3 }
      - url: https://10.0.0.12
    onNoHealthyTarget: any
    pool: { keepAlive: 2m }
  orders:
    targets: [{ url: "http://orders:80/" }]
routes:
  - name: users
    match:
      path: /api/users
      methods: [GET, POST]
      host: "*.example.com"
      headers: { x-api-version: "2" }
    upstream: users
    stripPrefix: true
    timeout: 1h
    websocket: true
    headers:
      request: { set: { x-gateway: turnpike }, remove: [x-internal] }
      response: { remove: [server] }
  - name: orders
    match: { path: "/orders/:id/*" }
    upstream: orders
    rewrite: /v2
`

test('a full valid config decodes: durations in ms, sizes in bytes, defaults filled', () => {
  const { config, file, text } = parseConfigText(FULL, 'gw.yaml', {})
  assert.equal(file, 'gw.yaml')
  assert.equal(text, FULL)
  assert.equal(config.server.bodyLimit, 1.5 * 1024 * 1024)
  assert.equal(config.server.maxHeaderSize, 16 * 1024)
  assert.equal(config.server.maxHeaderCount, 100)
  assert.deepEqual(config.server.timeouts, { requestHeader: 10_000, keepAlive: 72_000, request: 0, shutdown: 250 })
  assert.deepEqual(config.server.trustProxy, ['10.0.0.0/8', '::1'])
  assert.equal(config.logging.level, 'warn')
  assert.equal(config.routes[0]?.timeout, 3_600_000)
  assert.equal(config.routes[1]?.timeout, 30_000)
  assert.equal(config.routes[1]?.auth, 'none')
  assert.equal(config.routes[1]?.stripPrefix, false)
  assert.equal(config.routes[1]?.match.exact, false)
})

test('defaults are filled inside each upstream (Value.Default skips Record values)', () => {
  const { config } = parseConfigText(FULL, 'gw.yaml', {})
  const users = config.upstreams.users
  assert.ok(users)
  assert.equal(users.balancer, 'round-robin')
  assert.equal(users.onNoHealthyTarget, 'any')
  assert.deepEqual(users.pool, { connections: 128, keepAlive: 120_000, connectTimeout: 5_000 })
  assert.deepEqual(users.targets?.map((t) => t.weight), [3, 1])
  assert.equal(config.upstreams.orders?.onNoHealthyTarget, 'fail')
})

test('an empty file is an error, not a gateway without routes', () => {
  for (const text of ['', '\n  \n', '# only a comment\n', '---\n']) {
    assert.throws(() => parseConfigText(text, 'gw.yaml', {}), (err: unknown) =>
      err instanceof ConfigError && err.message === 'gw.yaml:1:1: the config file is empty (nothing but whitespace or comments)', JSON.stringify(text))
  }
  assert.throws(() => parseConfigText('~\n', 'gw.yaml', {}), (err: unknown) => err instanceof ConfigError && /must be a YAML mapping/.test(err.message))
})

test('sections left out get their defaults; an empty mapping is a valid, empty gateway', () => {
  const { config } = parseConfigText('{}', 'gw.yaml', {})
  assert.equal(config.server.port, 8080)
  assert.equal(config.admin.port, 9090)
  assert.equal(config.admin.token, '')
  assert.equal(config.logging.format, 'json')
  assert.deepEqual(config.routes, [])
  assert.deepEqual(config.upstreams, {})
  assert.equal(config.redis, undefined)
})

test('YAML anchors, aliases and merge keys work', () => {
  const text = 'upstreams:\n  u: { targets: [{ url: "http://h" }] }\nroutes:\n' +
    '  - &base { name: a, upstream: u, timeout: 5s, match: { path: /a } }\n' +
    '  - { <<: *base, name: b, match: { path: /b } }\n'
  const { config } = parseConfigText(text, 'gw.yaml', {})
  assert.deepEqual(config.routes.map((r) => [r.name, r.match.path, r.timeout]), [['a', '/a', 5000], ['b', '/b', 5000]])
})

test('the config is deep-frozen', () => {
  const { config } = parseConfigText(FULL, 'gw.yaml', {})
  assert.ok(Object.isFrozen(config))
  assert.ok(Object.isFrozen(config.upstreams.users?.targets?.[0]))
  assert.ok(Object.isFrozen(config.routes[0]?.match.methods))
  assert.throws(() => { (config.server as { port: number }).port = 1 }, TypeError)
})

test('the top level must be a mapping', () => {
  assert.throws(() => parseConfigText('- a\n- b\n', 'gw.yaml', {}), (err: unknown) =>
    err instanceof ConfigError && /must be a YAML mapping/.test(err.message) && err.problems[0]?.line === 1)
})

test('loadConfigFile reads a file and resolves TLS paths against its directory', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-load-'))
  await writeFile(path.join(dir, 'tls.crt'), 'cert')
  await writeFile(path.join(dir, 'tls.key'), 'key')
  const file = path.join(dir, 'gateway.yaml')
  await writeFile(file, 'server:\n  tls: { cert: ./tls.crt, key: tls.key }\n')
  const { config } = await loadConfigFile(file, {})
  assert.deepEqual(config.server.tls, { cert: path.join(dir, 'tls.crt'), key: path.join(dir, 'tls.key') })
})

test('a missing file is a ConfigError at 1:1', async () => {
  const file = path.join(os.tmpdir(), 'turnpike-no-such-dir', 'gateway.yaml')
  await assert.rejects(loadConfigFile(file, {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.equal(err.message, `${file}:1:1: cannot read the config file (no such file)`)
    assert.deepEqual(err.problems, [{ file, line: 1, col: 1, path: '', message: 'cannot read the config file (no such file)' }])
    return true
  })
})
