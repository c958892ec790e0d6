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
    const unknown = (value: unknown, path: Array<string | number>): void => {
      if (typeof value !== 'string' || upstreamNames.includes(value)) return
      const known = upstreamNames.length === 0 ? 'no upstreams are defined' : `defined: ${upstreamNames.join(', ')}`
      issues.push({ path, message: `unknown upstream '${value}' (${known})` })
    }
    unknown(upstream, at('upstream'))
    issues.push(...splitIssues(route, at))
    itemsOf(route.split).forEach((side, j) => { if (isObject(side)) unknown(side.upstream, at('split', j, 'upstream')) })
    if (isObject(route.mirror)) unknown(route.mirror.upstream, at('mirror', 'upstream'))
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

/** `upstream` or `split`, one of them; a split that can send somewhere; `stickyBy` only with a split. */
function splitIssues (route: Record<string, unknown>, at: (...rest: Array<string | number>) => Array<string | number>): Issue[] {
  const { upstream, split, stickyBy } = route
  if (upstream === undefined && split === undefined) return [{ path: at(), message: 'a route needs `upstream` or `split`' }]
  if (upstream !== undefined && split !== undefined) return [{ path: at('split'), message: 'use `upstream` or `split`, not both' }]
  const issues: Issue[] = []
  if (stickyBy !== undefined && split === undefined) issues.push({ path: at('stickyBy'), message: '`stickyBy` only applies to a `split` route' })
  const sides = itemsOf(split).filter(isObject)
  if (sides.length > 0 && sides.every((s) => s.weight === 0)) issues.push({ path: at('split'), message: 'every weight is 0: at least one upstream must get traffic' })
  const names = sides.map((s) => s.upstream)
  names.forEach((name, j) => { if (names.indexOf(name) !== j) issues.push({ path: at('split', j, 'upstream'), message: `'${String(name)}' is listed twice` }) })
  return issues
}

/** Record keys are header names, which the schema's Record type does not check. */
function headerNameIssues (record: unknown, path: Array<string | number>): Issue[] {
  return entriesOf(record)
    .filter(([name]) => !HEADER_NAME.test(name))
    .map(([name]) => ({ path: [...path, name], message: `'${name}' is not a valid header name`, at: 'key' as const }))
}
