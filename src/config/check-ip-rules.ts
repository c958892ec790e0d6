// Cross-checks of `security.ipFilter`. TODO(issue 4): filled in with the IP rules policy.
import type { Issue } from './problem.js'

export function ipRuleIssues (_config: Record<string, unknown>): Issue[] {
  return []
}
