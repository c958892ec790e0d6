// The three limit algorithms as pure functions of (state, now), in integer arithmetic so
// that boundaries are exact. src/rate-limit/lua.ts is the same arithmetic for Redis; the
// store tests run both against one table of expectations.
//
// A verdict is what @fastify/rate-limit wants from a store: `current` (admitted:
// limit − current is RateLimit-Remaining; refused: limit + 1) and `ttl` in ms
// (RateLimit-Reset, and Retry-After on a refusal). A refused request changes no state.
import type { RateRule } from './rule.js'

export interface Verdict {
  readonly current: number
  readonly ttl: number
}

export interface Counter<S> {
  fresh (now: number): S
  /** Counts one request against `state` (mutated in place) and says whether it passes. */
  check (state: S, now: number): Verdict
}

/** A window opens at a key's first request and admits `max` until `start + window`. */
export interface FixedWindowState { start: number, count: number }

export function fixedWindow ({ max, window }: RateRule): Counter<FixedWindowState> {
  return {
    fresh: (now) => ({ start: now, count: 0 }),
    check (s, now) {
      if (now >= s.start + window) {
        s.start = now
        s.count = 0
      }
      const ttl = s.start + window - now
      if (s.count >= max) return { current: max + 1, ttl }
      s.count++
      return { current: s.count, ttl }
    }
  }
}

/**
 * Windows aligned on multiples of `window`; the previous window's count weighs by the
 * share of it still inside a sliding window ending now: used = previous × (window −
 * elapsed) / window + current. A request passes while used + 1 ≤ max.
 * Quantities below are scaled by `window` to stay integers.
 */
export interface SlidingWindowState { index: number, current: number, previous: number }

export function slidingWindow ({ max, window }: RateRule): Counter<SlidingWindowState> {
  return {
    fresh: (now) => ({ index: Math.floor(now / window), current: 0, previous: 0 }),
    check (s, now) {
      const index = Math.floor(now / window)
      if (index > s.index) {
        s.previous = index === s.index + 1 ? s.current : 0
        s.current = 0
        s.index = index
      }
      const elapsed = Math.max(0, now - s.index * window)
      const used = s.previous * (window - elapsed) + s.current * window
      if (used + window <= max * window) {
        s.current++
        return { current: Math.ceil((used + window) / window), ttl: window - elapsed }
      }
      return { current: max + 1, ttl: slidingRetry(s, max, window, elapsed) }
    }
  }
}

/** Milliseconds until a refused request would pass, with no other traffic meanwhile. */
function slidingRetry (s: SlidingWindowState, max: number, window: number, elapsed: number): number {
  // Still this window: wait until the previous window's weight has decayed enough.
  if (s.current < max) return window - elapsed - Math.floor((max - 1 - s.current) * window / s.previous)
  // This window is full: in the next one, this window's count decays instead.
  return window - elapsed + window - Math.floor((max - 1) * window / s.current)
}

/**
 * A bucket of `burst` tokens, refilled continuously at `max` per `window`; a request
 * takes one. The level is in 1/window tokens so that refill stays an integer.
 */
export interface TokenBucketState { level: number, at: number }

export function tokenBucket ({ max, window, burst }: RateRule): Counter<TokenBucketState> {
  const capacity = burst * window
  return {
    fresh: (now) => ({ level: capacity, at: now }),
    check (s, now) {
      if (now > s.at) {
        s.level = Math.min(capacity, s.level + (now - s.at) * max)
        s.at = now
      }
      // Refused: Retry-After is the time until one whole token.
      if (s.level < window) return { current: burst + 1, ttl: Math.ceil((window - s.level) / max) }
      s.level -= window
      // Admitted: RateLimit-Reset is the time until the bucket is full again.
      return { current: burst - Math.floor(s.level / window), ttl: Math.ceil((capacity - s.level) / max) }
    }
  }
}

export function counterFor (rule: RateRule): Counter<object> {
  switch (rule.algorithm) {
    case 'fixed-window': return fixedWindow(rule) as Counter<object>
    case 'sliding-window': return slidingWindow(rule) as Counter<object>
    case 'token-bucket': return tokenBucket(rule) as Counter<object>
  }
}
