// security.connections in the config: positive integers, named at their key and line.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { configProblems } from './helpers/config.js'

const BASE = 'upstreams:\n  u:\n    targets: [{ url: "http://h" }]\nroutes:\n  - { name: r, match: { path: / }, upstream: u }\n'

test('perIp and total must be positive integers', () => {
  const problems = configProblems(`${BASE}security:\n  connections:\n    perIp: 0\n    total: 2.5\n`)
  assert.deepEqual(problems.map((p) => p.path).sort(), ['security.connections.perIp', 'security.connections.total'])
  const perIp = problems.find((p) => p.path === 'security.connections.perIp')
  assert.equal(perIp?.line, 8)
})

test('an unknown key is refused; either limit alone or both pass', () => {
  assert.deepEqual(configProblems(`${BASE}security:\n  connections: { perIP: 5 }\n`).map((p) => p.path), ['security.connections.perIP'])
  assert.deepEqual(configProblems(`${BASE}security:\n  connections: { perIp: 200 }\n`), [])
  assert.deepEqual(configProblems(`${BASE}security:\n  connections: { total: 20000 }\n`), [])
  assert.deepEqual(configProblems(`${BASE}security:\n  connections: { perIp: 200, total: 20000 }\n`), [])
})
