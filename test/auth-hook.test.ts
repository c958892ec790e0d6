// The auth policy costs a config without auth nothing: no hook is added unless some
// route uses jwt, apiKey or any; and a route left unguarded is impossible even if a
// config slipped past validation (registration fails instead).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { prepareAuth } from '../plugins/auth.js'
import { parseConfigText } from '../src/config/load.js'
import type { GatewayConfig } from '../src/config/schema.js'
import { EdgeState } from '../src/edge/state.js'
import type { PolicyOptions } from '../src/routing/route-policy.js'
import { RouteTable } from '../src/routing/route-table.js'
import { GatewayMetrics } from '../src/metrics.js'

const logger = pino({ level: 'silent' })

function configOf (auth: string, mode: string): GatewayConfig {
  return parseConfigText(`upstreams:
  app: { targets: [{ url: "http://127.0.0.1:8000" }] }
${auth}
routes:
  - { name: r, match: { path: / }, upstream: app, auth: ${mode} }
`, 'gw.yaml', {}).config as GatewayConfig
}

/** The hooks the plugin adds to a scope. */
async function hooksFor (config: GatewayConfig): Promise<string[]> {
  const added: string[] = []
  const scope = { addHook: (name: string) => { added.push(name) } } as unknown as FastifyInstance
  const metrics = new GatewayMetrics()
  const edge = new EdgeState(logger, metrics)
  const options: PolicyOptions = { config, edge, table: new RouteTable(config.routes), logger, metrics }
  try {
    const policy = await prepareAuth(options)
    for (const route of options.table.routes) await policy?.(scope, route)
  } finally {
    await edge.close()
  }
  return added
}

test('no route with auth: no hook, even with an auth section', async () => {
  assert.deepEqual(await hooksFor(configOf('auth:\n  jwt: { secret: test-secret-of-at-least-32-bytes-long }', 'none')), [])
})

test('a route with auth: one onRequest hook', async () => {
  assert.deepEqual(await hooksFor(configOf('auth:\n  jwt: { secret: test-secret-of-at-least-32-bytes-long }', 'jwt')), ['onRequest'])
  assert.deepEqual(await hooksFor(configOf('auth:\n  apiKeys: { keys: [] }', 'none')), [])
})

test('a route whose auth section is missing fails registration rather than going unguarded', async () => {
  const valid = configOf('auth:\n  jwt: { secret: test-secret-of-at-least-32-bytes-long }', 'jwt')
  const broken = { ...valid, auth: undefined } as GatewayConfig
  await assert.rejects(hooksFor(broken), /auth\.jwt is not configured/)
})
