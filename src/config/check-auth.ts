// Cross-checks of `auth` and the routes that use it. TODO(issue 4): filled in with the auth policy.
import type { Issue } from './problem.js'

export function authIssues (_config: Record<string, unknown>): Issue[] {
  return []
}
