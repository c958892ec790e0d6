// The chart's metadata and values. There is no helm binary on the CI machine, so the
// chart is never rendered here: these tests check what can be checked without it
// (deploy-helm-templates.test.ts covers the templates' text).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import { parse } from 'yaml'
import { parseConfigText } from '../src/config/load.js'

const read = (file: string): string => readFileSync(new URL(file, import.meta.url), 'utf8')
const CHART = '../deploy/helm/turnpike/'

interface Values {
  containerPorts: { http: number, admin: number }
  config: string
  preStopSleepSeconds: number
  terminationGracePeriodSeconds: number
  [key: string]: unknown
}
const values = (): Values => parse(read(`${CHART}values.yaml`)) as Values

function validator (): ReturnType<Ajv['compile']> {
  const schema = JSON.parse(read(`${CHART}values.schema.json`)) as { $schema: string }
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#')
  return new Ajv({ allErrors: true, strict: true }).compile(schema)
}

test('Chart.yaml: apiVersion v2, appVersion is the package version, Kubernetes >= 1.30', () => {
  const chart = parse(read(`${CHART}Chart.yaml`)) as Record<string, unknown>
  const pkg = JSON.parse(read('../package.json')) as { version: string }
  assert.equal(chart.apiVersion, 'v2')
  assert.equal(chart.name, 'turnpike')
  assert.equal(chart.type, 'application')
  assert.equal(chart.appVersion, pkg.version)
  assert.equal(chart.kubeVersion, '>=1.30.0-0', 'the preStop sleep action is on by default from 1.30')
})

test('values.yaml validates against values.schema.json', () => {
  const validate = validator()
  assert.ok(validate(values()), JSON.stringify(validate.errors))
})

test('values.schema.json rejects misspelt keys, wrong types and bad enums', () => {
  const validate = validator()
  const cases: Array<[string, (v: Values) => void, RegExp]> = [
    ['misspelt top-level key', (v) => { v.replicas = 3 }, /must NOT have additional properties/],
    ['misspelt nested key', (v) => { (v.autoscaling as Record<string, unknown>).enable = true }, /must NOT have additional properties/],
    ['port as a string', (v) => { v.containerPorts.http = '8080' as unknown as number }, /must be integer/],
    ['unknown Service type', (v) => { (v.service as Record<string, unknown>).type = 'Ingress' }, /must be equal to one of the allowed values/],
    ['config as a map', (v) => { v.config = { server: {} } as unknown as string }, /must be string/],
    ['a Redis URL that is not one', (v) => { (v.secrets as Record<string, unknown>).redisUrl = 'localhost:6379' }, /must match pattern/]
  ]
  for (const [what, breakIt, message] of cases) {
    const broken = values()
    breakIt(broken)
    assert.equal(validate(broken), false, what)
    assert.match(JSON.stringify(validate.errors), message, what)
  }
})

test('the config in values.yaml is a valid Turnpike config on the ports the pod declares', () => {
  const v = values()
  // What the Deployment template puts in the environment (secrets optional).
  const env = { TURNPIKE_PORT: String(v.containerPorts.http), TURNPIKE_ADMIN_PORT: String(v.containerPorts.admin) }
  for (const secrets of [{}, { TURNPIKE_ADMIN_TOKEN: 'token', REDIS_URL: 'redis://redis:6379' }]) {
    const { config } = parseConfigText(v.config, '/etc/turnpike/gateway.yaml', { ...env, ...secrets })
    assert.equal(config.server.port, v.containerPorts.http)
    assert.equal(config.admin.port, v.containerPorts.admin)
    assert.equal(config.admin.host, '0.0.0.0', 'the kubelet probes the pod IP')
    assert.ok(v.terminationGracePeriodSeconds > v.preStopSleepSeconds + config.server.timeouts.shutdown / 1000,
      'the grace period covers the preStop sleep and the whole drain')
  }
})

test('the plain manifests ship the same sample config as the chart', () => {
  const configMap = parse(read('../deploy/k8s/configmap.yaml')) as { data: Record<string, string> }
  assert.equal(configMap.data['gateway.yaml'], values().config)
})
