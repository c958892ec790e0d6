import assert from 'node:assert/strict'
import { test } from 'node:test'
import { configProblems } from './helpers/config.js'

const BASE = 'upstreams:\n  u:\n    targets: [{ url: "http://h" }]\nroutes:\n  - { name: r, match: { path: / }, upstream: u }\n'
const withRoute = (yaml: string) => BASE.replace('upstream: u }', `upstream: u, ${yaml} }`)

test('policy windows, blocks and cache ttl of 0 are refused at their key', () => {
  const problems = configProblems(withRoute('rateLimit: { max: 5, window: 0s }, cache: { ttl: 0ms }') +
    'security:\n  ddos: { threshold: 5, window: 0s, blockFor: 0m }\n  rateLimit: { max: 5, window: 0h }\n')
  assert.deepEqual(problems.map((p) => p.path).sort(), [
    'routes.0.cache.ttl', 'routes.0.rateLimit.window',
    'security.ddos.blockFor', 'security.ddos.window', 'security.rateLimit.window'
  ])
  assert.match(problems[0]!.message, /longer than 0/)
})

test('positive ones pass', () => {
  assert.deepEqual(configProblems(withRoute('rateLimit: { max: 5, window: 1ms }, cache: { ttl: 1s }') +
    'security:\n  ddos: { threshold: 5, window: 1m, blockFor: 10m }\n'), [])
})
