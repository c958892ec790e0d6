// Plain round-robin: each target in turn, weights ignored (weighted-round-robin is
// the balancer that honours them).
import type { Balancer } from '../balancer.js'
import type { Target } from '../target.js'

export function roundRobin (targets: readonly Target[]): Balancer {
  let next = 0
  return {
    pick () {
      if (targets.length === 0) return undefined
      const target = targets[next] as Target
      next = (next + 1) % targets.length
      return target
    }
  }
}
