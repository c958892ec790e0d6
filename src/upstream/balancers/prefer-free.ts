// With `limits`: a balancer's pick that is at its connection limit gives way to an
// available target with room, found by a scan that starts one further each time (so
// the overflow spreads instead of landing on the first target with room). Only when
// every available target is full does the original pick stand: the request then waits
// in that target's queue. Hash affinity yields to capacity here, as it does to health.
import type { Balancer } from '../balancer.js'
import type { Target } from '../target.js'

export function preferFree (balancer: Balancer, targets: readonly Target[]): Balancer {
  let start = 0
  const wrapped: Balancer = {
    pick (ctx) {
      const first = balancer.pick(ctx)
      if (first === undefined || first.state.gate?.hasRoom !== false) return first
      const n = targets.length
      for (let k = 0; k < n; k++) {
        const target = targets[(start + k) % n] as Target
        if (target.state.available && target.state.gate?.hasRoom !== false) {
          start = (start + k + 1) % n
          return target
        }
      }
      return first
    }
  }
  if (balancer.observe !== undefined) wrapped.observe = balancer.observe.bind(balancer)
  return wrapped
}
