// Stage 3 of the pipeline: defaults, the schema, the feature gate, then cross-checks.
// Every stage runs even when an earlier one found problems, so the user sees them all
// at once; withoutCascades keeps the first problem for a key and none beneath it.
import { GatewayConfigSchema } from './schema.js'
import type { Issue } from './problem.js'
import { schemaIssues } from './schema-errors.js'
import { featureGateIssues } from './feature-gate.js'
import { routeIssues } from './check-routes.js'
import { upstreamIssues } from './check-upstreams.js'
import { discoveryIssues } from './check-discovery.js'
import { serverIssues } from './check-server.js'
import { tlsIssues } from './check-tls.js'
import { authIssues } from './check-auth.js'
import { ipRuleIssues } from './check-ip-rules.js'
import { corsIssues } from './check-cors.js'
import { policyDurationIssues } from './check-policy-durations.js'
import { pluginIssues } from './check-plugins.js'
import { isObject } from './guards.js'
import { shapeIssues, withDefaults } from './defaults.js'

export interface Validated {
  /** The data with defaults filled in; valid when `issues` is empty. */
  readonly value: unknown
  readonly issues: readonly Issue[]
}

export interface ValidateOptions {
  /** Relative file names in the config (TLS files) are resolved against this. */
  readonly baseDir: string
}

export function validateConfig (data: unknown, options: ValidateOptions): Validated {
  if (!isObject(data)) return { value: data, issues: [{ path: [], message: 'the config must be a YAML mapping (key: value)' }] }
  const value = withDefaults(data)
  const upstreamNames = isObject(value.upstreams) ? Object.keys(value.upstreams) : []
  const issues = [
    ...shapeIssues(GatewayConfigSchema, data),
    ...schemaIssues(GatewayConfigSchema, value),
    ...featureGateIssues(value),
    ...upstreamIssues(value.upstreams),
    ...discoveryIssues(value.upstreams),
    ...routeIssues(value.routes, upstreamNames),
    ...serverIssues(value),
    ...tlsIssues(value, options.baseDir),
    ...authIssues(value),
    ...ipRuleIssues(value),
    ...corsIssues(value),
    ...policyDurationIssues(value),
    ...pluginIssues(value)
  ]
  return { value, issues: withoutCascades(issues) }
}

/**
 * One problem per key, and none under a key that has one: a list where a mapping
 * belongs, or a section not supported yet, says all there is to say about its insides.
 */
function withoutCascades (issues: readonly Issue[]): Issue[] {
  const keyOf = (path: Issue['path']) => JSON.stringify(path)
  const flagged = new Set(issues.map((issue) => keyOf(issue.path)))
  const seen = new Set<string>()
  return issues.filter(({ path }) => {
    const key = keyOf(path)
    const underAnother = path.some((_, n) => flagged.has(keyOf(path.slice(0, n))))
    if (seen.has(key) || underAnother) return false
    seen.add(key)
    return true
  })
}
