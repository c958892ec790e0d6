// A target of an upstream. Two halves: the long-lived state that the registry keeps
// across config reloads (connection pool, in-flight count, health and breaker),
// and the per-generation view the balancers see (URL, weight, that state).
import type { ConnectionOptions } from 'node:tls'
import type { Dispatcher } from 'undici'
import type { TargetBreaker } from './breaker.js'
import type { TargetGate } from './limits.js'

/** Survives reloads for as long as some generation still lists this target. */
export interface TargetState {
  readonly upstream: string
  /** scheme://host:port, the pool's key and the `target` metric label. */
  readonly origin: string
  readonly pool: Dispatcher
  /** How the pool connects (timeout, and TLS for an https:// target): a connection made outside the pool uses the same. */
  readonly connect: Readonly<ConnectionOptions>
  /** Requests to this target that have not finished yet. */
  activeRequests: number
  /**
   * False while the target is out of rotation: active health checks say unhealthy,
   * outlier detection ejected it, or its circuit breaker is open. Kept current
   * by whoever owns that state, so a balancer reads one boolean per candidate.
   */
  available: boolean
  /** The target's circuit breaker while its upstream configures one (set by its health). */
  breaker: TargetBreaker | undefined
  /** The upstream's `limits` on this target, while it configures them. */
  gate: TargetGate | undefined
}

/** One generation's view of a target. */
export interface Target {
  /** The URL as written in the config, e.g. http://10.0.0.11:8000 */
  readonly url: string
  readonly origin: string
  /** host:port, sent as Host unless the route preserves the client's. */
  readonly host: string
  readonly weight: number
  readonly state: TargetState
  /**
   * Found by DNS discovery rather than listed in the config. Every target the gateway
   * makes sets it (false when listed), so listed and discovered targets have one shape
   * and the request path that reads them stays monomorphic.
   */
  readonly discovered?: boolean
}
