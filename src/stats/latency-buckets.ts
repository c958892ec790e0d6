// Fixed log-spaced latency buckets: a percentile is estimated from per-bucket counts,
// so the collector keeps no samples and a observation is one log2 and one increment.
// Four buckets per doubling from 0.1 ms to ~100 s: an estimate (the bucket's geometric
// middle) is within a factor of 2^(1/8), about 9 %, of the true value.

/** Upper bound of bucket 0, in milliseconds; everything faster lands there. */
export const MIN_MS = 0.1
/** Buckets per doubling of latency. */
const STEPS = 4
/** 0.1 ms × 2^(80/4) ≈ 105 s; slower requests share the last bucket. */
export const BUCKETS = 81
const LAST = BUCKETS - 1

/** Largest ratio between an estimate and the true value (or its inverse), in range. */
export const PRECISION = 2 ** (1 / (2 * STEPS))

/** The bucket of one observation: 0 for ≤ MIN_MS, then one bucket per 2^(1/4). */
export function bucketOf (ms: number): number {
  if (!(ms > MIN_MS)) return 0 // also NaN
  const i = Math.ceil(Math.log2(ms / MIN_MS) * STEPS)
  return i < LAST ? i : LAST
}

const upper = (i: number): number => MIN_MS * 2 ** (i / STEPS)

/** The value reported for a bucket: the geometric middle of its bounds. */
export function estimateOf (i: number): number {
  if (i === 0) return MIN_MS / 2
  if (i >= LAST) return upper(LAST - 1) // open-ended: its lower bound, never a made-up middle
  return Math.sqrt(upper(i - 1) * upper(i))
}

/**
 * The q-quantile (0 < q ≤ 1) of the observations counted in `counts`, in milliseconds,
 * rounded to 0.01 ms; null when there are none.
 */
export function quantile (counts: ArrayLike<number>, total: number, q: number): number | null {
  if (total === 0) return null
  const rank = Math.max(1, Math.ceil(q * total))
  let seen = 0
  for (let i = 0; i < BUCKETS; i++) {
    seen += counts[i] ?? 0
    if (seen >= rank) return Math.round(estimateOf(i) * 100) / 100
  }
  return Math.round(estimateOf(LAST) * 100) / 100
}
