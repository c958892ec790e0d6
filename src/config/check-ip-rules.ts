// Cross-checks of `security.ipFilter`: every entry must be an address or a CIDR range,
// or the policy would silently match nothing for it (a deny that denies no one).
import type { Issue } from './problem.js'
import { isObject, itemsOf } from './guards.js'
import { isIpOrCidr } from './cidr.js'

const LISTS = ['allow', 'deny', 'exempt'] as const

export function ipRuleIssues (config: Record<string, unknown>): Issue[] {
  const filter = isObject(config.security) ? config.security.ipFilter : undefined
  if (!isObject(filter)) return []
  const issues: Issue[] = []
  for (const list of LISTS) {
    itemsOf(filter[list]).forEach((entry, i) => {
      if (typeof entry === 'string' && !isIpOrCidr(entry.trim())) {
        issues.push({ path: ['security', 'ipFilter', list, i], message: `'${entry}' is not an IP address or CIDR range (e.g. 203.0.113.0/24, 2001:db8::/32)` })
      }
    })
  }
  return issues
}
