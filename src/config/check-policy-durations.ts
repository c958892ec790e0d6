// Durations of the edge policies that must be longer than zero: a rate-limit window of
// 0s would divide by zero, a DDoS block of 0s is no block, a cache ttl of 0s caches
// nothing, a redis.timeout of 0s would never wait for Redis at all. The schema only
// knows they are durations.
import type { Issue, KeyPath } from './problem.js'
import { isObject, itemsOf } from './guards.js'
import { DURATION_PATTERN, parseDuration } from './units.js'

const pattern = new RegExp(DURATION_PATTERN)

function mustBePositive (section: unknown, keys: readonly string[], at: KeyPath, issues: Issue[]): void {
  if (!isObject(section)) return
  for (const key of keys) {
    const value = section[key]
    if (typeof value === 'string' && pattern.test(value) && parseDuration(value) <= 0) {
      issues.push({ path: [...at, key], message: `must be longer than 0 (got '${value}')` })
    }
  }
}

export function policyDurationIssues (config: Record<string, unknown>): Issue[] {
  const issues: Issue[] = []
  mustBePositive(config.redis, ['timeout'], ['redis'], issues)
  const security = config.security
  if (isObject(security)) {
    mustBePositive(security.rateLimit, ['window'], ['security', 'rateLimit'], issues)
    mustBePositive(security.ddos, ['window', 'blockFor'], ['security', 'ddos'], issues)
  }
  itemsOf(config.routes).forEach((route, i) => {
    if (!isObject(route)) return
    mustBePositive(route.rateLimit, ['window'], ['routes', i, 'rateLimit'], issues)
    mustBePositive(route.cache, ['ttl'], ['routes', i, 'cache'], issues)
  })
  return issues
}
