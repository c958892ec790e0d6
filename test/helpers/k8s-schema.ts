// Checks Kubernetes objects offline against the official OpenAPI schemas as compiled by
// kubernetes-models, and ServiceMonitor against the Prometheus Operator's CRD schema.
// Those schemas do not close their objects, so a misspelt field (`readinesProbe`) passes
// them, while `kubectl apply` rejects it (strict field validation). So the object is
// validated through a Proxy that records which keys the validator reads: a validator
// looks up every field its schema knows (and lists every key of a free-form map), so a
// key it never read is one the schema does not have.
import { Deployment } from 'kubernetes-models/apps/v1'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1'
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'

interface Validating { prototype: { validate (this: unknown): void } }

const MODELS: Readonly<Record<string, Validating>> = {
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor
}

interface Reads { readonly path: string, readonly keys: readonly string[], readonly read: Set<string> }

function watched (value: unknown, path: string, log: Reads[]): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map((item, i) => watched(item, `${path}[${i}]`, log))
  const reads: Reads = { path, keys: Object.keys(value), read: new Set() }
  log.push(reads)
  const copy = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, watched(v, `${path}.${k}`, log)]))
  const note = (key: string | symbol): void => { if (typeof key === 'string') reads.read.add(key) }
  return new Proxy(copy, {
    get (target, key, receiver) { note(key); return Reflect.get(target, key, receiver) },
    has (target, key) { note(key); return Reflect.has(target, key) },
    ownKeys (target) { Reflect.ownKeys(target).forEach(note); return Reflect.ownKeys(target) }
  })
}

/** Every problem `kubectl apply` would find in `doc` without a cluster; [] when none. */
export function kubernetesProblems (doc: unknown): string[] {
  const { apiVersion, kind } = (doc ?? {}) as { apiVersion?: unknown, kind?: unknown }
  const model = MODELS[`${String(apiVersion)}/${String(kind)}`]
  if (model === undefined) return [`no schema here for apiVersion ${String(apiVersion)}, kind ${String(kind)}`]
  const log: Reads[] = []
  const problems: string[] = []
  try {
    model.prototype.validate.call(watched(doc, '', log))
  } catch (err) {
    problems.push((err as Error).message)
  }
  const unknown = log.flatMap((r) => r.keys.filter((k) => !r.read.has(k)).map((k) => `${r.path}.${k}`))
  // Inside an unknown field everything is unread too: report only the outermost.
  for (const path of unknown) {
    if (!unknown.some((outer) => path.startsWith(`${outer}.`) || path.startsWith(`${outer}[`))) {
      problems.push(`unknown field ${path}`)
    }
  }
  return problems
}
