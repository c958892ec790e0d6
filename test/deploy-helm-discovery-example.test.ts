// The chart's discovery example: the values pass the chart's schema, their config is a
// valid Turnpike config, and it resolves the name and port of the headless Service
// shipped next to it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import { parse } from 'yaml'
import { parseConfigText } from '../src/config/load.js'

const read = (file: string): string => readFileSync(new URL(`../deploy/helm/turnpike/${file}`, import.meta.url), 'utf8')

test('the discovery example resolves the headless Service it ships with', () => {
  const defaults = parse(read('values.yaml')) as Record<string, unknown>
  const example = parse(read('examples/discovery-values.yaml')) as { config: string }
  const validate = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(read('values.schema.json')) as object)
  assert.ok(validate({ ...defaults, ...example }), JSON.stringify(validate.errors))

  const service = parse(read('examples/users-headless-service.yaml')) as {
    kind: string, metadata: { name: string, namespace: string }, spec: { clusterIP: string, ports: Array<{ name: string, port: number }> }
  }
  assert.equal(service.kind, 'Service')
  assert.equal(service.spec.clusterIP, 'None', 'headless: one record per pod')

  const { config } = parseConfigText(example.config, '/etc/turnpike/gateway.yaml', { TURNPIKE_PORT: '8080', TURNPIKE_ADMIN_PORT: '9090' })
  const discovery = config.upstreams.users?.discovery
  assert.equal(discovery?.dns, `${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`)
  assert.equal(discovery?.port, service.spec.ports[0]?.port)
  // The commented SRV alternative names the Service's named port.
  assert.match(example.config, new RegExp(`srv: _${service.spec.ports[0]?.name ?? ''}\\._tcp\\.${service.metadata.name}\\.`))
})
