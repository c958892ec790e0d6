// The route table of one config generation, on find-my-way (Fastify's own router).
// Host matches use find-my-way's host constraint; each header named in any route's
// `match.headers` becomes a constraint strategy of its own. find-my-way then gives
// this specificity order: a longer literal path wins, then the route with more
// constraints; when a constrained route's constraints fail it backtracks to a less
// specific path. Ties (same path, methods and constraints) go to file order: the later
// route is shadowed and reported, and exact routes are registered first so that they
// win over a prefix route on the same path. `turnpike explain` uses this same table.
import FindMyWay, { type HTTPVersion, type Instance } from 'find-my-way'
import type { RouteConfig } from '../config/schema.js'
import { compileRoute, DEFAULT_METHODS, type CompiledRoute } from './compiled-route.js'

export type LookupResult =
  | { readonly kind: 'route', readonly route: CompiledRoute, readonly params: Readonly<Record<string, string | undefined>> }
  | { readonly kind: 'method-not-allowed', readonly allow: readonly string[] }
  | { readonly kind: 'not-found' }

export interface ShadowedRoute { readonly route: string, readonly method: string, readonly pattern: string, readonly by: string }

/** Every method any route can be looked up with, for the 405 check. */
const ALL_METHODS = [...DEFAULT_METHODS]

interface Store { route: CompiledRoute }

/** Lower-case host without port. */
export function hostOf (hostHeader: string | undefined): string {
  if (hostHeader === undefined) return ''
  const h = hostHeader.toLowerCase()
  if (h.charCodeAt(0) === 91) { // [ipv6]:port
    const end = h.indexOf(']')
    return end === -1 ? h : h.slice(0, end + 1)
  }
  const colon = h.indexOf(':')
  return colon === -1 ? h : h.slice(0, colon)
}

function hostConstraint (host: string): string | RegExp {
  const bare = hostOf(host)
  if (!bare.startsWith('*.')) return bare
  const suffix = bare.slice(1).replace(/[.]/g, '\\.')
  return new RegExp(`^[^.]+${suffix}$`)
}

/** find-my-way patterns for one route: a literal prefix matches itself and below. */
function patternsOf (route: CompiledRoute): string[] {
  const path = route.config.match.path
  if (!route.isLiteral || route.config.match.exact) return [path]
  if (path === '/') return ['/', '/*']
  const base = path.endsWith('/') ? path.slice(0, -1) : path
  return path.endsWith('/') ? [path, base + '/*'] : [base, base + '/*']
}

function headerStrategy (name: string, header: string) {
  return {
    name,
    storage () {
      const values = new Map<string, unknown>()
      return { get: (v: string) => values.get(v) ?? null, set: (v: string, store: unknown) => { values.set(v, store) } }
    },
    deriveConstraint: (req: { headers: Record<string, string | string[] | undefined> }) => req.headers[header],
    mustMatchWhenDerived: false
  }
}

export class RouteTable {
  readonly routes: readonly CompiledRoute[]
  readonly shadowed: readonly ShadowedRoute[]
  private readonly router: Instance<HTTPVersion.V1>
  /** header name → constraint strategy name, for routes with `match.headers`. */
  private readonly headerKeys: ReadonlyArray<readonly [string, string]>

  constructor (configs: ReadonlyArray<Readonly<RouteConfig>>) {
    const routes = configs.map((c, i) => compileRoute(c, i))
    const headerNames = [...new Set(routes.flatMap((r) => Object.keys(r.config.match.headers ?? {}).map((h) => h.toLowerCase())))]
    this.headerKeys = headerNames.map((h, i) => [h, `h${i}`] as const)
    const constraints: Record<string, ReturnType<typeof headerStrategy>> = {}
    for (const [header, key] of this.headerKeys) constraints[key] = headerStrategy(key, header)
    this.router = FindMyWay({ caseSensitive: true, maxParamLength: 2048, constraints: constraints as never })
    const shadowed: ShadowedRoute[] = []
    const winners = new Map<string, string>()
    const ordered = [...routes].sort((a, b) => Number(b.config.match.exact) - Number(a.config.match.exact) || a.index - b.index)
    for (const route of ordered) {
      const routeConstraints: Record<string, string | RegExp> = {}
      if (route.config.match.host !== undefined) routeConstraints.host = hostConstraint(route.config.match.host)
      for (const [header, value] of Object.entries(route.config.match.headers ?? {})) {
        const key = this.headerKeys.find(([h]) => h === header.toLowerCase())?.[1] as string
        routeConstraints[key] = value
      }
      const signature = JSON.stringify(routeConstraints, (_k, v: unknown) => v instanceof RegExp ? v.source : v)
      for (const pattern of patternsOf(route)) {
        for (const method of route.methods) {
          const slot = `${method} ${pattern} ${signature}`
          const winner = winners.get(slot)
          if (winner !== undefined) {
            shadowed.push({ route: route.name, method, pattern, by: winner })
            continue
          }
          winners.set(slot, route.name)
          this.router.on(method as 'GET', pattern, { constraints: routeConstraints }, () => undefined, { route } satisfies Store)
        }
      }
    }
    this.routes = Object.freeze(routes)
    this.shadowed = Object.freeze(shadowed)
  }

  private derive (host: string, headers: Record<string, string | string[] | undefined>): Record<string, unknown> {
    const derived: Record<string, unknown> = { host }
    for (const [header, key] of this.headerKeys) derived[key] = headers[header]
    return derived
  }

  /** The route for a request, or why there is none. `path` must already be normalized. */
  lookup (method: string, host: string, path: string, headers: Record<string, string | string[] | undefined>): LookupResult {
    const derived = this.derive(host, headers)
    const found = this.router.find(method as 'GET', path, derived)
    if (found !== null) {
      return { kind: 'route', route: (found.store as Store).route, params: found.params }
    }
    const allow = ALL_METHODS.filter((m) => m !== method && this.router.find(m, path, derived) !== null)
    return allow.length > 0 ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' }
  }
}
