// Where each route of a generation sends its requests, bound once at config time to
// that generation's upstreams: one upstream, or a split over several; and the mirror
// that copies its requests, if any.
import type { UpstreamSet, Upstream } from '../upstream/upstream-set.js'
import { Mirror } from '../proxy/mirror.js'
import type { CompiledRoute } from './compiled-route.js'
import { Split } from './split.js'

export interface RouteUpstreams {
  /** The route's one upstream; undefined on a split route (the split chooses per request). */
  readonly upstream: Upstream | undefined
  readonly split: Split | undefined
  readonly mirror: Mirror | undefined
}

/** By route name (names are unique). Config validation guarantees every name resolves. */
export function bindRoutes (routes: readonly CompiledRoute[], upstreams: UpstreamSet): Map<string, RouteUpstreams> {
  const need = (name: string): Upstream => {
    const upstream = upstreams.get(name)
    if (upstream === undefined) throw new Error(`unknown upstream '${name}'`)
    return upstream
  }
  const bound = new Map<string, RouteUpstreams>()
  for (const route of routes) {
    const { split, stickyBy, mirror } = route.config
    bound.set(route.name, Object.freeze({
      upstream: route.upstream === undefined ? undefined : need(route.upstream),
      split: split === undefined ? undefined : new Split(split.map((s) => ({ upstream: need(s.upstream), weight: s.weight })), stickyBy),
      mirror: mirror === undefined ? undefined : new Mirror(route.name, need(mirror.upstream), mirror.percent, mirror.maxInFlight)
    }))
  }
  return bound
}
