// A light check of the chart's templates as text (no helm binary here to render them):
// every value they read exists, their blocks balance, the helpers they include are
// defined, and each renders the kind it is named for, behind the switch meant for it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { parse } from 'yaml'

const DIR = new URL('../deploy/helm/turnpike/templates/', import.meta.url)
const templates = new Map(readdirSync(DIR).sort().map((f) => [f, readFileSync(new URL(f, DIR), 'utf8')]))
const values = parse(readFileSync(new URL('../deploy/helm/turnpike/values.yaml', import.meta.url), 'utf8')) as Record<string, unknown>
const template = (name: string): string => {
  const text = templates.get(name)
  assert.ok(text !== undefined, `templates/${name} exists`)
  return text
}
/** The template's actions, `{{ … }}`, without comments. */
const actions = (text: string): string[] =>
  [...text.matchAll(/\{\{-?\s*([\s\S]*?)\s*-?\}\}/g)].map((m) => m[1]!).filter((a) => !a.startsWith('/*'))

test('the chart has the templates deploy/helm/turnpike/README.md names', () => {
  assert.deepEqual([...templates.keys()], [
    'NOTES.txt', '_helpers.tpl', 'configmap.yaml', 'deployment.yaml', 'hpa.yaml', 'pdb.yaml',
    'secret.yaml', 'service.yaml', 'serviceaccount.yaml', 'servicemonitor.yaml'
  ])
})

test('every .Values.x.y a template reads is in values.yaml', () => {
  for (const [name, text] of templates) {
    for (const [, ref] of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
      let node: unknown = values
      for (const key of ref!.slice(1).split('.')) {
        assert.ok(typeof node === 'object' && node !== null && Object.hasOwn(node, key), `${name}: .Values${ref} is not in values.yaml`)
        node = (node as Record<string, unknown>)[key]
      }
    }
  }
})

test('if/with/range/define blocks balance their end, and else stays inside one', () => {
  for (const [name, text] of templates) {
    let depth = 0
    for (const action of actions(text)) {
      if (/^(if|with|range|define|block)\b/.test(action)) depth++
      else if (/^end\b/.test(action)) depth--
      else if (/^else\b/.test(action)) assert.ok(depth > 0, `${name}: else outside a block`)
      assert.ok(depth >= 0, `${name}: an end without its block`)
    }
    assert.equal(depth, 0, `${name}: a block without its end`)
  }
})

test('every helper a template includes is defined in _helpers.tpl', () => {
  const defined = new Set([...template('_helpers.tpl').matchAll(/define "([^"]+)"/g)].map((m) => m[1]))
  for (const [name, text] of templates) {
    for (const [, helper] of text.matchAll(/include "([^"]+)"/g)) {
      assert.ok(defined.has(helper), `${name} includes an undefined "${helper}"`)
    }
  }
})

test('each template renders its kind, and the optional ones sit behind their switch', () => {
  const expected: Array<[string, string, string | null]> = [
    ['configmap.yaml', 'apiVersion: v1\nkind: ConfigMap', null],
    ['deployment.yaml', 'apiVersion: apps/v1\nkind: Deployment', null],
    ['service.yaml', 'apiVersion: v1\nkind: Service', null],
    ['serviceaccount.yaml', 'apiVersion: v1\nkind: ServiceAccount', '.Values.serviceAccount.create'],
    ['hpa.yaml', 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler', '.Values.autoscaling.enabled'],
    ['pdb.yaml', 'apiVersion: policy/v1\nkind: PodDisruptionBudget', '.Values.podDisruptionBudget.enabled'],
    ['servicemonitor.yaml', 'apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor', '.Values.serviceMonitor.enabled'],
    ['secret.yaml', 'apiVersion: v1\nkind: Secret', 'and (not .Values.secrets.existingSecret)']
  ]
  for (const [name, kind, guard] of expected) {
    const text = template(name)
    assert.ok(text.includes(kind), `${name} renders ${kind}`)
    if (guard !== null) assert.ok(text.startsWith(`{{- if ${guard}`), `${name} is behind ${guard}`)
  }
  assert.equal((values.serviceMonitor as { enabled: boolean }).enabled, false, 'ServiceMonitor is off by default')
})

test('the Deployment template carries the probes, the drain and the security settings', () => {
  const text = template('deployment.yaml')
  for (const line of [
    'args: ["dist/src/cli/main.js", "start", "-c", "/etc/turnpike/gateway.yaml"]',
    'path: /healthz', 'path: /readyz', 'port: admin',
    'sleep:\n                seconds: {{ .Values.preStopSleepSeconds }}',
    'terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}',
    'runAsNonRoot: true', 'runAsUser: 65532', 'readOnlyRootFilesystem: true',
    'allowPrivilegeEscalation: false', 'drop: ["ALL"]', 'type: RuntimeDefault',
    'key: admin-token', 'key: redis-url', 'mountPath: /etc/turnpike'
  ]) assert.ok(text.includes(line), `deployment.yaml has ${JSON.stringify(line)}`)
  assert.doesNotMatch(text, /^\s+subPath:/m, 'a subPath mount would never see a ConfigMap update')
  assert.match(text, /\{\{- if not \.Values\.autoscaling\.enabled \}\}\n\s+replicas:/, 'the HPA owns replicas when enabled')
  assert.match(text, /\{\{- if \.Values\.rolloutOnConfigChange \}\}\n\s+checksum\/config: \{\{ \.Values\.config \| sha256sum \}\}/)
})
