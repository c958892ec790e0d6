// Weighted random: each available target with probability weight / (sum of available
// weights). Stateless, so it needs no coordination and behaves the same in every worker;
// the price is short-term unevenness that round-robin does not have.
import type { Balancer, BalancerOptions } from '../balancer.js'
import type { Target } from '../target.js'

export function random (targets: readonly Target[], options: BalancerOptions): Balancer {
  return {
    pick () {
      let total = 0
      for (const target of targets) if (target.state.available) total += target.weight
      if (total === 0) return undefined
      let r = options.random() * total
      let last: Target | undefined
      for (const target of targets) {
        if (!target.state.available) continue
        last = target
        r -= target.weight
        if (r < 0) return target
      }
      // Only reachable through floating-point rounding at the very top of the range.
      return last
    }
  }
}
