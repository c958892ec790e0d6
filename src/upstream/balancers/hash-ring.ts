// A consistent-hash ring with virtual nodes, built once per generation. Each target owns
// POINTS_PER_WEIGHT × weight points placed by hashing its URL with the point's number; a
// key belongs to the first point at or after its own hash (clockwise, wrapping). Because
// a target's points depend only on its own URL, adding or removing one target of N moves
// only the keys on the arcs it gains or loses — about 1/N of them — and no other key.
import { fmix32, fnv1a } from '../hash.js'
import type { Target } from '../target.js'

/** Enough points that each target's share is within a few percent of its weight's share. */
const POINTS_PER_WEIGHT = 160
/** Bounds the ring (weights go to 1000) to 512 KB and a ~20 ms build. */
const MAX_POINTS = 1 << 16
/** Room for the owner's index below the hash in one exactly-representable double. */
const OWNER_BITS = 2 ** 20

export class HashRing {
  /** Point hashes, ascending. */
  private readonly points: Uint32Array
  /** owners[i] owns points[i]. */
  private readonly owners: Target[]

  constructor (private readonly targets: readonly Target[]) {
    // Sorted by URL so the ring, ties included, does not depend on the listing order.
    const sorted = [...targets].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0))
    const totalWeight = sorted.reduce((sum, t) => sum + t.weight, 0)
    const scale = Math.min(1, MAX_POINTS / (POINTS_PER_WEIGHT * Math.max(totalWeight, 1)))
    const counts = sorted.map((t) => Math.max(1, Math.round(t.weight * POINTS_PER_WEIGHT * scale)))
    // hash × 2^20 + owner, so one native numeric sort orders points and breaks ties.
    const packed = new Float64Array(counts.reduce((sum, n) => sum + n, 0))
    let k = 0
    sorted.forEach((target, owner) => {
      const seed = fnv1a(target.url)
      for (let i = 0; i < (counts[owner] as number); i++) {
        // fmix32 is a bijection, so distinct point numbers never collide within a target.
        packed[k++] = fmix32(seed ^ Math.imul(i + 1, 0x9e3779b1)) * OWNER_BITS + owner
      }
    })
    packed.sort()
    this.points = new Uint32Array(packed.length)
    this.owners = new Array<Target>(packed.length)
    for (let i = 0; i < packed.length; i++) {
      const value = packed[i] as number
      this.points[i] = Math.floor(value / OWNER_BITS)
      this.owners[i] = sorted[value % OWNER_BITS] as Target
    }
  }

  /** The target that owns `hash`, or the next available one clockwise; undefined if none is available. */
  lookup (hash: number): Target | undefined {
    if (!anyAvailable(this.targets)) return undefined
    const size = this.points.length
    let i = this.firstAtOrAfter(hash)
    // Walking on from an unavailable target's point hands its keys to its ring
    // neighbours, spread across all of them, and gives them back when it returns.
    for (let steps = 0; steps < size; steps++) {
      const target = this.owners[i] as Target
      if (target.state.available) return target
      i = i + 1 === size ? 0 : i + 1
    }
    return undefined
  }

  private firstAtOrAfter (hash: number): number {
    let lo = 0
    let hi = this.points.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.points[mid] as number) < hash) lo = mid + 1
      else hi = mid
    }
    return lo === this.points.length ? 0 : lo
  }
}

function anyAvailable (targets: readonly Target[]): boolean {
  for (const target of targets) if (target.state.available) return true
  return false
}
