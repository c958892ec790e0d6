// `split`: each request of a route goes to one of several upstreams by weight (a
// canary). Without `stickyBy` the draw is random per request; with it the key (ip,
// header, cookie or claim, as `hashOn` reads them; the client IP when the request
// has none) is hashed onto the same weight line, so one key always lands on the same
// upstream while the weights stay. A weight of 0 takes no traffic. The chosen
// upstream then balances, checks and breaks exactly as a plain `upstream` would.
import type { FastifyRequest } from 'fastify'
import { clientIpOf } from '../proxy/context.js'
import { hash32 } from '../upstream/hash.js'
import { hashKeyReader, type KeyReader } from '../upstream/hash-key.js'
import type { Upstream } from '../upstream/upstream-set.js'

export interface SplitSide {
  readonly upstream: Upstream
  readonly weight: number
}

export class Split {
  private readonly sides: readonly Upstream[]
  /** Running totals of the weights: side i owns [bounds[i-1], bounds[i]). */
  private readonly bounds: Float64Array
  private readonly total: number
  private readonly stickyKey: KeyReader | undefined

  constructor (sides: readonly SplitSide[], stickyBy: string | undefined,
    private readonly random: () => number = Math.random) {
    this.stickyKey = stickyBy === undefined ? undefined : hashKeyReader(stickyBy)
    const live = sides.filter((s) => s.weight > 0)
    this.sides = live.map((s) => s.upstream)
    this.bounds = new Float64Array(live.length)
    let total = 0
    live.forEach((s, i) => { total += s.weight; this.bounds[i] = total })
    this.total = total
  }

  choose (request: FastifyRequest): Upstream {
    const stickyKey = this.stickyKey
    const point = stickyKey === undefined
      ? this.random() * this.total
      // hash32 is uniform over 2^32, so the key's point is uniform over the weights too.
      : (hash32(stickyKey(request) ?? clientIpOf(request)) / 0x1_0000_0000) * this.total
    const bounds = this.bounds
    for (let i = 0; i < bounds.length - 1; i++) if (point < (bounds[i] as number)) return this.sides[i] as Upstream
    return this.sides[bounds.length - 1] as Upstream
  }
}
