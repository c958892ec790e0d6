// The manifests in deploy/k8s agree with each other and with the gateway: what a schema
// cannot see (a Service selecting no pod, a probe on a port the config does not bind).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'
import { parseConfigText } from '../src/config/load.js'

const K8S = fileURLToPath(new URL('../deploy/k8s/', import.meta.url))

interface Port { name: string, containerPort: number }
interface Container {
  args: string[]
  ports: Port[]
  env: Array<{ name: string, value?: string, valueFrom?: { secretKeyRef: { name: string, key: string, optional: boolean } } }>
  livenessProbe: { httpGet: { path: string, port: string } }
  readinessProbe: { httpGet: { path: string, port: string } }
  lifecycle: { preStop: { sleep: { seconds: number } } }
  securityContext: Record<string, unknown>
  volumeMounts: Array<{ name: string, mountPath: string, subPath?: string }>
  resources: { requests: { cpu: string } }
}
interface PodSpec {
  serviceAccountName: string
  terminationGracePeriodSeconds: number
  securityContext: Record<string, unknown>
  containers: Container[]
  volumes: Array<{ name: string, configMap?: { name: string } }>
}
type Doc = { kind: string, metadata: { name: string, labels: Record<string, string> }, [key: string]: unknown }

const docs: Doc[] = readdirSync(K8S, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(path.join(K8S, f), 'utf8')).map((d) => d.toJS() as Doc))

function one<T> (kind: string, name?: string): Doc & T {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name))
  assert.equal(found.length, 1, `one ${kind} ${name ?? ''}`)
  return found[0] as Doc & T
}

const deployment = one<{ spec: { replicas?: number, selector: { matchLabels: Record<string, string> }, template: { metadata: { labels: Record<string, string> }, spec: PodSpec } } }>('Deployment')
const pod = deployment.spec.template.spec
const container = pod.containers[0]!
const podLabels = deployment.spec.template.metadata.labels
const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v)

test('Services, PDB, HPA and ServiceMonitor point at the Deployment and its named ports', () => {
  assert.ok(selects(deployment.spec.selector.matchLabels, podLabels))
  const portNames = container.ports.map((p) => p.name)
  for (const name of ['turnpike', 'turnpike-admin']) {
    const svc = one<{ spec: { selector: Record<string, string>, ports: Array<{ name: string, targetPort: string }> } }>('Service', name)
    assert.ok(selects(svc.spec.selector, podLabels), `${name} selects the pods`)
    for (const p of svc.spec.ports) assert.ok(portNames.includes(p.targetPort), `${name} targets a container port`)
  }
  assert.equal(one<{ spec: { type: string } }>('Service', 'turnpike-admin').spec.type, 'ClusterIP')

  const pdb = one<{ spec: { selector: { matchLabels: Record<string, string> } } }>('PodDisruptionBudget')
  assert.ok(selects(pdb.spec.selector.matchLabels, podLabels))

  const hpa = one<{ spec: { scaleTargetRef: { kind: string, name: string } } }>('HorizontalPodAutoscaler')
  assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name })
  assert.equal(deployment.spec.replicas, undefined, 'the HPA owns the replica count')
  assert.ok(container.resources.requests.cpu, 'a CPU target needs a CPU request')

  const monitor = one<{ spec: { selector: { matchLabels: Record<string, string> }, endpoints: Array<{ port: string, path: string }> } }>('ServiceMonitor')
  const admin = one('Service', 'turnpike-admin')
  assert.ok(selects(monitor.spec.selector.matchLabels, admin.metadata.labels), 'selects the admin Service')
  assert.ok(!selects(monitor.spec.selector.matchLabels, one('Service', 'turnpike').metadata.labels), 'and only that one')
  assert.deepEqual(monitor.spec.endpoints.map((e) => [e.port, e.path]), [['admin', '/metrics']])

  assert.equal(pod.serviceAccountName, one('ServiceAccount').metadata.name)
})

test('the pod runs as 65532, read-only, no privileges, probes on the admin port, preStop sleep', () => {
  assert.deepEqual(container.args, ['dist/src/cli/main.js', 'start', '-c', '/etc/turnpike/gateway.yaml'])
  // args replace the image's CMD (node is the entrypoint): they must name the same script.
  const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8'))
  assert.ok(cmd, 'the Dockerfile has an exec-form CMD')
  assert.equal(container.args[0], (JSON.parse(cmd[1]!) as string[])[0])
  assert.deepEqual(container.ports.map((p) => [p.name, p.containerPort]), [['http', 8080], ['admin', 9090]])
  assert.deepEqual([container.livenessProbe.httpGet, container.readinessProbe.httpGet],
    [{ path: '/healthz', port: 'admin' }, { path: '/readyz', port: 'admin' }])
  assert.ok(container.lifecycle.preStop.sleep.seconds > 0)
  assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' })
  assert.equal(pod.securityContext.runAsNonRoot, true)
  assert.equal(pod.securityContext.runAsUser, 65532)
  assert.deepEqual(container.securityContext, {
    runAsNonRoot: true,
    runAsUser: 65532,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' }
  })
})

test('the ConfigMap is mounted as a directory (a subPath mount would never see an update)', () => {
  const configMap = one('ConfigMap')
  const volume = pod.volumes.find((v) => v.configMap?.name === configMap.metadata.name)
  assert.ok(volume)
  const mount = container.volumeMounts.find((m) => m.name === volume.name)
  assert.deepEqual(mount, { name: volume.name, mountPath: '/etc/turnpike', readOnly: true })
})

test('the ConfigMap holds a valid gateway config that binds the ports the pod declares', () => {
  const text = one<{ data: Record<string, string> }>('ConfigMap').data['gateway.yaml']
  assert.ok(text)
  // The pod's environment: literal values, and something for every Secret key it maps.
  const env: Record<string, string> = {}
  for (const e of container.env) {
    if (e.value !== undefined) env[e.name] = e.value
    else if (e.valueFrom !== undefined) assert.equal(e.valueFrom.secretKeyRef.optional, true, `${e.name} may be absent`)
  }
  const secrets = { TURNPIKE_ADMIN_TOKEN: 'a-long-admin-token', REDIS_URL: 'redis://redis:6379' }
  for (const withSecrets of [{}, secrets]) {
    const { config } = parseConfigText(text, '/etc/turnpike/gateway.yaml', { ...env, ...withSecrets })
    assert.equal(config.server.port, 8080)
    assert.equal(config.admin.port, 9090)
    assert.equal(config.admin.host, '0.0.0.0', 'the kubelet probes the pod IP')
    const { preStop } = container.lifecycle
    assert.ok(pod.terminationGracePeriodSeconds > preStop.sleep.seconds + config.server.timeouts.shutdown / 1000,
      'the grace period covers the preStop sleep and the whole drain')
  }
  const { config } = parseConfigText(text, 'gateway.yaml', { ...env, ...secrets })
  assert.equal(config.redis?.url, 'redis://redis:6379')
  assert.equal(config.admin.token, 'a-long-admin-token')
})
