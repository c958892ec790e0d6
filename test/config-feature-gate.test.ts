import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseConfigText } from '../src/config/load.js'
import { configProblems } from './helpers/config.js'
import { featureGateIssues, NOT_SUPPORTED_YET } from '../src/config/feature-gate.js'

const BASE = 'upstreams:\n  u:\n    targets: [{ url: "http://h" }]\nroutes:\n  - { name: r, match: { path: / }, upstream: u }\n'

const rejected = configProblems

const withUpstream = (yaml: string) => BASE.replace('    targets:', `    ${yaml}\n    targets:`)
const withRoute = (yaml: string) => BASE.replace('upstream: u }', `upstream: u, ${yaml} }`)

test('server.workers is built: N and auto are accepted', () => {
  assert.deepEqual(rejected(`${BASE}server: { workers: 4 }\n`), [])
  assert.deepEqual(rejected(`${BASE}server: { workers: auto }\n`), [])
})

test('a gate rule rejects its key as not supported yet, pointing at the key', () => {
  const rules = [{ path: 'routes.*.cache', hint: 'for example' }]
  const issues = featureGateIssues({ routes: [{}, { cache: true }] }, rules)
  assert.deepEqual(issues.map((i) => [i.path.join('.'), i.at]), [['routes.1.cache', 'key']])
  assert.equal(issues[0]?.message, `${NOT_SUPPORTED_YET} (for example)`)
})

test('the values that mean "off" are accepted', () => {
  const text = withRoute('auth: none, compress: false').replace('    targets:', '    balancer: round-robin\n    targets:') +
    'server: { workers: 1 }\ntracing: { enabled: false, endpoint: "http://collector:4318/v1/traces" }\n'
  assert.deepEqual(rejected(text), [])
})


test('tracing is built: enabled, with an endpoint and a sample ratio, is accepted', () => {
  assert.deepEqual(rejected(`${BASE}tracing: { enabled: true, endpoint: "http://collector:4318/v1/traces", sampleRatio: 0.1 }\n`), [])
})

test('circuitBreaker and retry are built: accepted, with defaults, and `on` is a closed list', () => {
  const breaker = withUpstream('circuitBreaker: { errorThresholdPercentage: 50, volumeThreshold: 5, resetTimeout: 5s }')
  assert.deepEqual(rejected(breaker), [])
  const { config } = parseConfigText(withUpstream('circuitBreaker: {}').replace('upstream: u }', 'upstream: u, retry: { attempts: 2 } }'), 'gw.yaml', {})
  assert.deepEqual(config.upstreams.u?.circuitBreaker, { errorThresholdPercentage: 50, volumeThreshold: 20, resetTimeout: 30000 })
  assert.deepEqual(config.routes[0]?.retry, { attempts: 2, backoff: 100, maxBackoff: 2000, on: ['connect-failure', 502, 503, 504] })
  assert.deepEqual(rejected(withRoute('retry: { attempts: 2, on: [timeout, reset, 500, connect-failure] }')), [])
  const bad = rejected(withRoute('retry: { attempts: 2, on: [connect-failure, 404] }'))
  assert.equal(bad.length, 1, JSON.stringify(bad))
  assert.match(bad[0]!.path, /^routes\.0\.retry\.on/)
  assert.equal(rejected(withRoute('retry: { attempts: 11 }')).length, 1)
})

test('every balancer and every form of hashOn is accepted', () => {
  for (const balancer of ['round-robin', 'weighted-round-robin', 'least-connections', 'ip-hash', 'consistent-hash', 'random', 'p2c-ewma']) {
    assert.deepEqual(rejected(withUpstream(`balancer: ${balancer}`)), [], balancer)
  }
  for (const hashOn of ['ip', 'header:x-user', 'cookie:session', 'claim:sub']) {
    assert.deepEqual(rejected(withUpstream(`balancer: consistent-hash\n    hashOn: "${hashOn}"`)), [], hashOn)
  }
})
