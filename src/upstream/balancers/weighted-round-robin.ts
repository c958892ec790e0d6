// Smooth weighted round-robin, nginx's algorithm: on every pick each available target's
// `current` grows by its weight, the largest wins and gives back the total. Over any
// total-weight picks each target is chosen exactly weight times, spread out rather than
// in bursts (weights 5,1,1 → a a b a c a a), so a heavy target never sees a run of
// back-to-back requests that a plain "repeat each target weight times" would give it.
import type { Balancer } from '../balancer.js'
import type { Target } from '../target.js'

export function weightedRoundRobin (targets: readonly Target[]): Balancer {
  const current = new Float64Array(targets.length)
  return {
    pick () {
      let best = -1
      let total = 0
      for (let i = 0; i < targets.length; i++) {
        const target = targets[i] as Target
        // An unavailable target neither gains nor keeps credit, so it cannot return
        // with a burst owed to it.
        if (!target.state.available) {
          current[i] = 0
          continue
        }
        total += target.weight
        current[i] = (current[i] as number) + target.weight
        if (best === -1 || (current[i] as number) > (current[best] as number)) best = i
      }
      if (best === -1) return undefined
      current[best] = (current[best] as number) - total
      return targets[best]
    }
  }
}
