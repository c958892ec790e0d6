// How a block of a limit's budget is taken at once and given back, per algorithm, in
// the same integer arithmetic as algorithms.ts. The cluster primary, which keeps the
// gateway's one set of counters when there is no Redis, lends such blocks to its
// workers (src/cluster/rate-leases.ts): a worker admits from its block on its own and
// asks the primary again only when the block runs low.
//
// Taking a block counts its units as if that many requests had been admitted at once,
// so a unit used later never admits more than the algorithm would have: a fixed or
// sliding window's block is used within the same window (its `end`), and a token
// taken from a bucket stays taken. Unused units go back to the state they came from
// (`giveBack`); a window that has moved on since has nothing to take them back.
import type { RateRule } from './rule.js'
import type { FixedWindowState, SlidingWindowState, TokenBucketState } from './algorithms.js'

/** `end` of a block that never expires (token bucket): JSON has no Infinity. */
export const NO_END = 0

export interface Leasing<S> {
  /** Units that could be admitted now: what a block may be carved from. */
  room (state: S, now: number): number
  /** Counts `n` units (at most `room`) as admitted now. */
  take (state: S, now: number, n: number): void
  /** `current` as a verdict would say it now, before another unit (RateLimit-Remaining's base). */
  used (state: S, now: number): number
  /** Until when a block taken now may be used (ms since the epoch), or NO_END. */
  end (state: S): number
  /** `n` unused units of a block whose `end` was `end`, back to the state. */
  giveBack (state: S, n: number, end: number): void
}

function fixedWindow ({ max, window }: RateRule): Leasing<FixedWindowState> {
  const roll = (s: FixedWindowState, now: number): void => {
    if (now >= s.start + window) {
      s.start = now
      s.count = 0
    }
  }
  return {
    room: (s, now) => now >= s.start + window ? max : Math.max(0, max - s.count),
    take (s, now, n) { roll(s, now); s.count += n },
    used: (s, now) => now >= s.start + window ? 0 : s.count,
    end: (s) => s.start + window,
    giveBack (s, n, end) { if (s.start + window === end) s.count = Math.max(0, s.count - n) }
  }
}

function slidingWindow ({ max, window }: RateRule): Leasing<SlidingWindowState> {
  const roll = (s: SlidingWindowState, now: number): void => {
    const index = Math.floor(now / window)
    if (index > s.index) {
      s.previous = index === s.index + 1 ? s.current : 0
      s.current = 0
      s.index = index
    }
  }
  // Scaled by `window`, as in algorithms.ts.
  const usedScaled = (s: SlidingWindowState, now: number): number =>
    s.previous * (window - Math.max(0, now - s.index * window)) + s.current * window
  return {
    room (s, now) {
      roll(s, now)
      return Math.max(0, Math.floor((max * window - usedScaled(s, now)) / window))
    },
    take (s, now, n) { roll(s, now); s.current += n },
    used (s, now) { roll(s, now); return Math.ceil(usedScaled(s, now) / window) },
    end: (s) => (s.index + 1) * window,
    giveBack (s, n, end) {
      // The block's window is this one, or the previous one, whose count still weighs.
      if ((s.index + 1) * window === end) s.current = Math.max(0, s.current - n)
      else if (s.index * window === end) s.previous = Math.max(0, s.previous - n)
    }
  }
}

function tokenBucket ({ max, window, burst }: RateRule): Leasing<TokenBucketState> {
  const capacity = burst * window
  const refill = (s: TokenBucketState, now: number): void => {
    if (now > s.at) {
      s.level = Math.min(capacity, s.level + (now - s.at) * max)
      s.at = now
    }
  }
  return {
    room (s, now) { refill(s, now); return Math.floor(s.level / window) },
    take (s, now, n) { refill(s, now); s.level = Math.max(0, s.level - n * window) },
    used (s, now) { refill(s, now); return burst - Math.floor(s.level / window) },
    end: () => NO_END,
    giveBack (s, n) { s.level = Math.min(capacity, s.level + n * window) }
  }
}

export function leasingFor (rule: RateRule): Leasing<object> {
  switch (rule.algorithm) {
    case 'fixed-window': return fixedWindow(rule) as Leasing<object>
    case 'sliding-window': return slidingWindow(rule) as Leasing<object>
    case 'token-bucket': return tokenBucket(rule) as Leasing<object>
  }
}
