// Cross-checks of `routes` that a JSON Schema cannot express: references to upstreams,
// unique names, valid path patterns and option combinations that contradict each other.
// Written against data that may have failed the schema, so every access is guarded.
import type { Issue } from './problem.js'
import { entriesOf, isObject, itemsOf } from './guards.js'
import { routePatternProblem } from './route-pattern.js'

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

export function routeIssues (routes: unknown, upstreamNames: readonly string[]): Issue[] {
  const issues: Issue[] = []
  const firstByName = new Map<string, number>()
  itemsOf(routes).forEach((route, i) => {
    if (!isObject(route)) return
    const at = (...rest: Array<string | number>) => ['routes', i, ...rest]
    const { name, upstream, match, stripPrefix, rewrite } = route

    if (typeof name === 'string') {
      const first = firstByName.get(name)
      if (first === undefined) firstByName.set(name, i)
      else issues.push({ path: at('name'), message: `duplicate route name '${name}' (also routes.${first})` })
    }
    if (typeof upstream === 'string' && !upstreamNames.includes(upstream)) {
      const known = upstreamNames.length === 0 ? 'no upstreams are defined' : `defined: ${upstreamNames.join(', ')}`
      issues.push({ path: at('upstream'), message: `unknown upstream '${upstream}' (${known})` })
    }
    if (isObject(match) && typeof match.path === 'string') {
      const problem = routePatternProblem(match.path)
      if (problem !== undefined) issues.push({ path: at('match', 'path'), message: problem })
      if (match.exact === true && match.path.includes('*')) {
        issues.push({ path: at('match', 'exact'), message: "exact: true cannot be combined with a '*' wildcard path" })
      }
    }
    if (stripPrefix === true && rewrite !== undefined) {
      issues.push({ path: at('rewrite'), message: 'use stripPrefix or rewrite, not both (rewrite already replaces the matched prefix)' })
    }
    issues.push(...headerNameIssues(isObject(match) ? match.headers : undefined, at('match', 'headers')))
    for (const side of ['request', 'response']) {
      const edits = isObject(route.headers) ? route.headers[side] : undefined
      issues.push(...headerNameIssues(isObject(edits) ? edits.set : undefined, at('headers', side, 'set')))
    }
  })
  return issues
}

/** Record keys are header names, which the schema's Record type does not check. */
function headerNameIssues (record: unknown, path: Array<string | number>): Issue[] {
  return entriesOf(record)
    .filter(([name]) => !HEADER_NAME.test(name))
    .map(([name]) => ({ path: [...path, name], message: `'${name}' is not a valid header name`, at: 'key' as const }))
}
