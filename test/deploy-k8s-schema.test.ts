import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'
import { kubernetesProblems } from './helpers/k8s-schema.js'

const K8S = fileURLToPath(new URL('../deploy/k8s/', import.meta.url))

interface Manifest { file: string, doc: Record<string, unknown> & { kind: string, metadata: { name: string } } }

function manifests (): Manifest[] {
  const files = readdirSync(K8S, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml')).sort()
  return files.flatMap((file) => parseAllDocuments(readFileSync(path.join(K8S, file), 'utf8')).map((d) => {
    assert.deepEqual(d.errors, [], `${file} is not valid YAML`)
    return { file, doc: d.toJS() as Manifest['doc'] }
  }))
}

/** A copy of the first `kind` in deploy/k8s, to break. */
function find<T> (kind: string): T {
  const found = manifests().find((m) => m.doc.kind === kind)
  assert.ok(found, `deploy/k8s has a ${kind}`)
  return structuredClone(found.doc) as T
}

test('every manifest in deploy/k8s validates against the Kubernetes schemas (ServiceMonitor: its CRD)', () => {
  const all = manifests()
  assert.deepEqual(
    all.map((m) => m.doc.kind).sort(),
    ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Namespace', 'PodDisruptionBudget',
      'Service', 'Service', 'ServiceAccount', 'ServiceMonitor'])
  for (const { file, doc } of all) {
    assert.deepEqual(kubernetesProblems(doc), [], `${file}: ${doc.kind} ${doc.metadata.name}`)
  }
})

test('the optional manifests are out of `kubectl apply -f deploy/k8s/` (not recursive)', () => {
  const optional = manifests().filter((m) => m.file.startsWith('optional'))
  assert.deepEqual(optional.map((m) => m.doc.kind).sort(), ['Namespace', 'ServiceMonitor'])
})

test('a broken Deployment fails: a wrong type, a missing required field, a misspelt field', () => {
  const wrongType = find<{ spec: { template: { spec: { containers: Array<{ ports: Array<{ containerPort: unknown }> }> } } } }>('Deployment')
  wrongType.spec.template.spec.containers[0]!.ports[0]!.containerPort = 'eighty'
  assert.match(kubernetesProblems(wrongType).join('\n'), /containerPort must be integer/)

  const noSelector = find<{ spec: { selector?: unknown } }>('Deployment')
  delete noSelector.spec.selector
  assert.match(kubernetesProblems(noSelector).join('\n'), /required property selector/)

  const misspelt = find<{ spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } }>('Deployment')
  const container = misspelt.spec.template.spec.containers[0]!
  container.readinesProbe = container.readinessProbe
  delete container.readinessProbe
  assert.deepEqual(kubernetesProblems(misspelt), ['unknown field .spec.template.spec.containers[0].readinesProbe'])
})

test('a broken ServiceMonitor, HPA and Service fail too', () => {
  const monitor = find<{ spec: { endpoints: Array<Record<string, unknown>> } }>('ServiceMonitor')
  monitor.spec.endpoints[0]!.interval = 'soon'
  assert.match(kubernetesProblems(monitor).join('\n'), /interval must match pattern/)

  const hpa = find<{ spec: { scaleTargetRef: Record<string, unknown> } }>('HorizontalPodAutoscaler')
  delete hpa.spec.scaleTargetRef.name
  assert.match(kubernetesProblems(hpa).join('\n'), /scaleTargetRef must have required property name/)

  const service = find<{ spec: Record<string, unknown> }>('Service')
  service.spec.portz = service.spec.ports
  assert.deepEqual(kubernetesProblems(service), ['unknown field .spec.portz'])

  assert.match(kubernetesProblems({ apiVersion: 'apps/v1beta1', kind: 'Deployment' }).join(''), /no schema here/)
})
