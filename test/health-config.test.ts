// healthCheck defaults and expectStatus validation.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConfigText } from '../src/config/load.js'
import { configProblems } from './helpers/config.js'

const yaml = (healthCheck: string): string =>
  `upstreams:\n  u:\n    targets: [{ url: "http://h" }]\n    healthCheck: ${healthCheck}\nroutes:\n  - { name: r, match: { path: / }, upstream: u }\n`

const problems = configProblems

test('healthCheck: {} turns checks on with every default', () => {
  const { config } = parseConfigText(yaml('{}'), 'gw.yaml', {})
  assert.deepEqual(config.upstreams.u?.healthCheck, {
    type: 'http', path: '/health', interval: 5000, timeout: 2000, healthyThreshold: 2, unhealthyThreshold: 3, expectStatus: '200-399'
  })
})

test('expectStatus accepts a status, a range and a list; rejects backwards ranges and junk', () => {
  for (const ok of ['200', '200-399', '200,204,300-302']) assert.deepEqual(problems(yaml(`{ expectStatus: "${ok}" }`)), [], ok)
  const backwards = problems(yaml('{ expectStatus: "399-200" }'))
  assert.equal(backwards[0]?.path, 'upstreams.u.healthCheck.expectStatus')
  assert.match(backwards[0]?.message ?? '', /ends before it starts/)
  assert.equal(problems(yaml('{ expectStatus: "2xx" }'))[0]?.path, 'upstreams.u.healthCheck.expectStatus')
})
