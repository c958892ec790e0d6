// Least connections: the available target with the fewest in-flight requests per unit of
// weight (a weight-3 target carries three times the in-flight load of a weight-1 one).
// Ties — most of the time at low load, when every count is 0 — go round-robin: the scan
// starts one further each pick and only a strictly smaller load displaces the first
// candidate, so idle targets take turns instead of the first one taking everything.
import type { Balancer } from '../balancer.js'
import type { Target } from '../target.js'

export function leastConnections (targets: readonly Target[]): Balancer {
  let start = 0
  return {
    pick () {
      const n = targets.length
      let best: Target | undefined
      for (let k = 0; k < n; k++) {
        const target = targets[(start + k) % n] as Target
        if (!target.state.available) continue
        // active/weight < best.active/best.weight, without division.
        if (best === undefined || target.state.activeRequests * best.weight < best.state.activeRequests * target.weight) best = target
      }
      start = (start + 1) % n
      return best
    }
  }
}
