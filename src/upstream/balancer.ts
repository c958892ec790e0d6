// The seam between an upstream and its targets: a balancer picks one target for a
// request. Each balancer is built once per config generation over that generation's
// targets, must skip targets whose state is not `available`, and does no I/O.
// Randomness and the clock are injected so tests are deterministic.
import type { Target } from './target.js'

/** What a balancer may look at to pick. */
export interface PickContext {
  readonly clientIp: string
  /** The value of the upstream's `hashOn` for this request (ip, header, cookie or claim), if any. */
  readonly hashKey: string | undefined
}

export interface Balancer {
  /** A target for this request, or undefined when none is available. */
  pick (ctx: PickContext): Target | undefined
  /** Latency feedback after each attempt (p2c-ewma uses it; others may ignore it). */
  observe? (target: Target, latencyMs: number, ok: boolean): void
}

export interface BalancerOptions {
  /** A number in [0, 1), as Math.random. */
  readonly random: () => number
  /** Milliseconds, monotonic, as performance.now. */
  readonly now: () => number
}

export type BalancerFactory = (targets: readonly Target[], options: BalancerOptions) => Balancer
