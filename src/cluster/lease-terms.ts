// The terms on which the cluster primary lends a block of a limit's budget to a worker
// (the rate limits without Redis: rate-leases.ts and worker-rate-leases.ts), shared by
// both sides.
//
// A block is granted only while the limit is far from reached: at most a 1/SHARE share
// of what is left per worker, never more than BLOCK_MAX, and nothing below BLOCK_MIN.
// So a key close to its limit (and any limit below SHARE × workers × BLOCK_MIN) is
// counted check by check by the primary, exactly as without leases; the blocks only
// take the messages out of the common case, a key far from its limit.

/** What a worker asks of the primary for one key, on the wire. */
export const OP = {
  /** One request; no block (the worker is already asking for one). */
  check: 0,
  /** One request, and a block alongside if the limit is far. */
  checkAndLease: 1,
  /** A block only (the worker's block is running low): no request counted. */
  refill: 2
} as const

export const BLOCK_MAX = 256
export const BLOCK_MIN = 4
const SHARE = 4

/** The block a worker may take when `room` units are left for the whole gateway (0: none). */
export function blockFor (room: number, workers: number): number {
  const n = Math.min(BLOCK_MAX, Math.floor(room / (SHARE * Math.max(1, workers))))
  return n >= BLOCK_MIN ? n : 0
}

/**
 * A worker asks for the next block once its block is down to this many units: half,
 * so that the answer is back before the rest is used up even when the primary is
 * slow to be scheduled (until it is, the worker's checks would go to it one by one).
 */
export function lowWater (block: number): number {
  return Math.ceil(block / 2)
}
