// A config that asks for a
// feature that is not built yet is rejected, never silently ignored: an ignored
// `auth: jwt` would leave a route that looks protected wide open. Remove a rule here
// when its feature lands (and update docs/configuration.md).
import type { Issue, KeyPath } from './problem.js'

export const NOT_SUPPORTED_YET = 'not supported yet in this version of Turnpike'

interface GateRule {
  /** Dotted key path; `*` stands for any upstream name or route index. */
  readonly path: string
  /** Reject only these values (default: any value at all). */
  readonly rejects?: (value: unknown) => boolean
  readonly hint?: string
}

export const GATED: readonly GateRule[] = []

export function featureGateIssues (config: unknown, rules: readonly GateRule[] = GATED): Issue[] {
  const issues: Issue[] = []
  for (const rule of rules) {
    for (const { path, value } of find(config, rule.path.split('.'), [])) {
      if (rule.rejects !== undefined && !rule.rejects(value)) continue
      const message = rule.hint === undefined ? NOT_SUPPORTED_YET : `${NOT_SUPPORTED_YET} (${rule.hint})`
      issues.push({ path, message, at: 'key' })
    }
  }
  return issues
}

/** Every present value at a dotted pattern, with its concrete path. */
function find (node: unknown, pattern: readonly string[], path: KeyPath): Array<{ path: KeyPath, value: unknown }> {
  if (pattern.length === 0) return node === undefined ? [] : [{ path, value: node }]
  if (typeof node !== 'object' || node === null) return []
  const [head, ...rest] = pattern as [string, ...string[]]
  const entries: Array<[string | number, unknown]> = Array.isArray(node)
    ? node.map((v, i) => [i, v])
    : Object.entries(node)
  return entries
    .filter(([key]) => head === '*' || String(key) === head)
    .flatMap(([key, value]) => find(value, rest, [...path, key]))
}
