// Power of two choices over a peak-EWMA of latency (Finagle's and Linkerd's balancer):
// draw two distinct available targets at random and send to the one with the lower
// cost = latency estimate × (in-flight + 1). Two random candidates avoid the herd that
// "always the best" causes when every gateway sees the same best target; the in-flight
// factor reacts at once, the latency estimate at once to a slowdown and over seconds to a
// recovery.
//
// The estimate jumps up to any slower sample (peak-sensitive) and otherwise moves toward
// new samples in proportion to the time since the last one, and it decays toward zero
// while a target gets no feedback — so a target that was slow once is tried again later
// instead of being starved forever. Unseen targets start at zero cost (optimistic):
// a new or returning target gets traffic at once and is measured.
import type { Balancer, BalancerOptions } from '../balancer.js'
import type { Target } from '../target.js'

/** Time constant of the decay: after 10 s without samples an estimate keeps ~37%. */
const DECAY_MS = 10_000
/** A failed attempt counts as at least this slow, or a target that fails fast would look best. */
const FAILURE_PENALTY_MS = 1_000
/** Added to every estimate so in-flight counts still separate targets whose latency is ~0. */
const FLOOR_MS = 1

export function p2cEwma (targets: readonly Target[], options: BalancerOptions): Balancer {
  const n = targets.length
  const index = new Map(targets.map((t, i) => [t, i]))
  const ewma = new Float64Array(n)
  const stamp = new Float64Array(n)
  const available = new Uint32Array(n)

  function decayed (i: number, now: number): number {
    return (ewma[i] as number) * Math.exp(-Math.max(0, now - (stamp[i] as number)) / DECAY_MS)
  }

  function cost (i: number, now: number): number {
    const target = targets[i] as Target
    return (decayed(i, now) + FLOOR_MS) * (target.state.activeRequests + 1)
  }

  return {
    pick () {
      let count = 0
      for (let i = 0; i < n; i++) if ((targets[i] as Target).state.available) available[count++] = i
      if (count === 0) return undefined
      if (count === 1) return targets[available[0] as number]
      const a = Math.floor(options.random() * count)
      let b = Math.floor(options.random() * (count - 1))
      if (b >= a) b++
      const now = options.now()
      const first = available[a] as number
      const second = available[b] as number
      return targets[cost(first, now) <= cost(second, now) ? first : second]
    },

    observe (target, latencyMs, ok) {
      const i = index.get(target)
      if (i === undefined) return
      const now = options.now()
      const sample = ok ? latencyMs : Math.max(latencyMs, FAILURE_PENALTY_MS)
      const previous = ewma[i] as number
      const w = Math.exp(-Math.max(0, now - (stamp[i] as number)) / DECAY_MS)
      ewma[i] = sample > previous ? sample : previous * w + sample * (1 - w)
      stamp[i] = now
    }
  }
}
