// `onNoHealthyTarget: any`: when the balancer finds no available target (every one is
// unhealthy, ejected or open), try them all anyway, in turn, rather than answer 503.
// A dead upstream fails the same either way; one that only looks dead (a broken health
// endpoint, a bad check config) keeps serving. Hash affinity does not hold while open.
import type { Balancer } from '../balancer.js'
import type { Target } from '../target.js'

export function failOpen (balancer: Balancer, targets: readonly Target[]): Balancer {
  let next = 0
  const wrapped: Balancer = {
    pick (ctx) {
      const target = balancer.pick(ctx)
      if (target !== undefined || targets.length === 0) return target
      next = (next + 1) % targets.length
      return targets[next]
    }
  }
  if (balancer.observe !== undefined) wrapped.observe = balancer.observe.bind(balancer)
  return wrapped
}
