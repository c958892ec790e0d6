// Plain round-robin: each available target in turn, weights ignored (weighted-round-robin
// is the balancer that honours them).
import type { Balancer } from '../balancer.js'
import type { Target } from '../target.js'

export function roundRobin (targets: readonly Target[]): Balancer {
  let next = 0
  return {
    pick () {
      for (let tried = 0; tried < targets.length; tried++) {
        const target = targets[next] as Target
        next = (next + 1) % targets.length
        if (target.state.available) return target
      }
      return undefined
    }
  }
}
