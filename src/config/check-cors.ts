// Cross-checks of CORS origins (security.cors and each route's cors). A browser sends
// Origin as scheme://host[:port], so an entry without a scheme (`app.example.com`)
// would never match anything: a policy that silently allows no one.
import type { Issue, KeyPath } from './problem.js'
import { isObject, itemsOf } from './guards.js'

/** `*`, `*.example.com` (any scheme), or scheme://… (`https://*.example.com` too). */
const ORIGIN = /^(\*|\*\..+|[A-Za-z][A-Za-z0-9+.-]*:\/\/.+)$/

export function corsIssues (config: Record<string, unknown>): Issue[] {
  const issues: Issue[] = []
  const check = (cors: unknown, at: KeyPath): void => {
    if (!isObject(cors)) return
    itemsOf(cors.origins).forEach((origin, i) => {
      if (typeof origin !== 'string' || ORIGIN.test(origin)) return
      issues.push({ path: [...at, 'origins', i], message: `'${origin}' has no scheme, so no browser's Origin can match it; write 'https://${origin}'` })
    })
  }
  if (isObject(config.security)) check(config.security.cors, ['security', 'cors'])
  itemsOf(config.routes).forEach((route, i) => { if (isObject(route)) check(route.cors, ['routes', i, 'cors']) })
  return issues
}
