// What a route's `match.path` may look like: `/literal/segments`, `/x/:param`, `/x/*`.
// Checked once at load time so the route table can trust every pattern it compiles.

const PARAM = /^:[A-Za-z_][A-Za-z0-9_]*$/

/** Why `pattern` is not a valid route path, or undefined when it is. */
export function routePatternProblem (pattern: string): string | undefined {
  if (!pattern.startsWith('/')) return "must start with '/'"
  if (/[?#]/.test(pattern)) return 'a route path cannot have a query string or fragment'
  if (/[\s\x00-\x1f\x7f]/.test(pattern)) return 'spaces and control characters are not allowed in a route path'
  if (pattern === '/') return undefined
  const segments = pattern.slice(1).split('/')
  const params = new Set<string>()
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1
    if (segment === '') {
      return last
        ? `trailing '/' not allowed ('${pattern.slice(0, -1)}' already matches '${pattern}')`
        : "empty path segment ('//')"
    }
    if (segment === '.' || segment === '..') return "'.' and '..' segments are not allowed (request paths are normalized before matching)"
    if (segment.includes('*')) {
      if (segment !== '*') return "'*' must be a whole segment, as in '/files/*'"
      if (!last) return "'*' is only allowed as the last segment"
    }
    if (segment.startsWith(':')) {
      if (!PARAM.test(segment)) return `bad parameter '${segment}' (a name of letters, digits and '_', not starting with a digit)`
      if (params.has(segment)) return `parameter '${segment}' appears twice`
      params.add(segment)
    }
  }
  return undefined
}
