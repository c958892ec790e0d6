// The seam between an upstream and its targets: a balancer picks one target for a
// request. The next balancers (weighted, least-connections, hashing, p2c-ewma) plug in
// here; each gets the targets once per config generation and must not do I/O.
import type { Target } from './target.js'

/** What a balancer may look at to pick; hashing balancers read the key. */
export interface PickContext {
  readonly clientIp: string
}

export interface Balancer {
  /** A target for this request, or undefined when none can take it. */
  pick (ctx: PickContext): Target | undefined
}

export type BalancerFactory = (targets: readonly Target[]) => Balancer
