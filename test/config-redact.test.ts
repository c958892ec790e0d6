import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Value } from '@sinclair/typebox/value'
import { parseConfigText } from '../src/config/load.js'
import { redactConfig, redactUrl } from '../src/config/redact.js'
import { GatewayConfigSchema, type GatewayConfig, type GatewayConfigInput } from '../src/config/schema.js'

const TEXT = `
admin: { token: t0ps3cret }
server: { timeouts: { keepAlive: 90s } }
upstreams:
  u: { targets: [{ url: "http://h" }] }
routes:
  - name: r
    match: { path: /, headers: { x-api-key: match-secret, x-tenant: acme } }
    upstream: u
    timeout: 250ms
    headers:
      request: { set: { authorization: "Bearer upstream-secret", x-gateway: turnpike } }
`

test('secrets are redacted; durations and sizes are written as in the file', () => {
  const { config } = parseConfigText(TEXT, 'gw.yaml', {})
  const shown = redactConfig(config) as GatewayConfigInput
  assert.equal(shown.admin.token, '[redacted]')
  assert.equal(shown.server.bodyLimit, '10mb')
  assert.equal(shown.server.timeouts.keepAlive, '90s')
  assert.equal(shown.routes[0]?.timeout, '250ms')
  assert.deepEqual(shown.routes[0]?.match.headers, { 'x-api-key': '[redacted]', 'x-tenant': 'acme' })
  assert.deepEqual(shown.routes[0]?.headers?.request?.set, { authorization: '[redacted]', 'x-gateway': 'turnpike' })
  assert.doesNotMatch(JSON.stringify(shown), /t0ps3cret|upstream-secret|match-secret/)
  assert.equal(config.admin.token, 't0ps3cret', 'the running config is untouched')
})

test('an empty admin token stays visible as empty (it means mutating calls are off)', () => {
  const shown = redactConfig(parseConfigText('{}', 'gw.yaml', {}).config) as GatewayConfigInput
  assert.equal(shown.admin.token, '')
})

test('auth secrets, API key hashes and URL passwords are redacted', () => {
  // Built directly: these sections are feature-gated in the loader for now.
  const config: GatewayConfig = Value.Decode(GatewayConfigSchema, Value.Default(GatewayConfigSchema, {
    redis: { url: 'redis://user:hunter2@redis:6379/0', keyPrefix: 't:' },
    auth: {
      jwt: { secret: 'jwt-secret-of-at-least-32-bytes-long', issuer: 'https://id' },
      apiKeys: { keys: [{ id: 'ci', sha256: 'a'.repeat(64) }] }
    }
  }))
  const shown = redactConfig(config) as GatewayConfigInput
  assert.equal(shown.redis?.url, 'redis://user:[redacted]@redis:6379/0')
  assert.equal(shown.auth?.jwt?.secret, '[redacted]')
  assert.equal(shown.auth?.jwt?.issuer, 'https://id')
  assert.deepEqual(shown.auth?.apiKeys?.keys, [{ id: 'ci', sha256: '[redacted]' }])
})

test('redactUrl', () => {
  assert.equal(redactUrl('rediss://:pw@h:6380'), 'rediss://:[redacted]@h:6380')
  assert.equal(redactUrl('redis://h:6379'), 'redis://h:6379')
  assert.equal(redactUrl(''), '')
  assert.equal(redactUrl('cluster:redis://a:pw@h1:7000,redis://b:pw2@h2:7001'), 'cluster:redis://a:[redacted]@h1:7000,redis://b:[redacted]@h2:7001')
  assert.equal(redactUrl('http://user:pw@collector:4318/v1/traces'), 'http://user:[redacted]@collector:4318/v1/traces')
})

test('a plugin option named like a secret is redacted, the others shown', () => {
  const text = 'plugins:\n  - { name: signed, module: ./hmac.js, options: { secret: s3cr3t-value, maxSkew: 300 } }\n'
  const shown = redactConfig(parseConfigText(text, 'gw.yaml', {}).config) as GatewayConfigInput
  assert.deepEqual(shown.plugins?.[0]?.options, { secret: '[redacted]', maxSkew: 300 })
})
