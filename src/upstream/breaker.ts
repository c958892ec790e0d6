// One circuit breaker per target (upstream name + origin), an opossum CircuitBreaker
// driven by real traffic. Each HTTP attempt runs as `fire(start)`: `start` dispatches
// the request and resolves with the status once the response headers came (the relay
// has then already begun writing them to the client). A 5xx resolves the relay but is
// rethrown here as an UpstreamStatus marker so opossum counts it as a failure; the
// forwarding code recognises the marker and treats the attempt as answered. Errors
// that are the client's doing (a body over the limit, a client that went away) pass
// `errorFilter`, so they never trip a breaker; a 4xx is a success. While open,
// opossum rejects with EOPENBREAKER before `start` runs: nothing reaches the target.
//
// Rotation: open → `onOut(true)` takes the target out; at half-open it comes back in
// so the balancer can pick it, and the first attempt (the probe opossum admits) takes
// it out again until the probe settles: success closes, failure reopens.
// `timeout: false`: the route's timeout already bounds every attempt.
import CircuitBreaker from 'opossum'
import type { UpstreamConfig } from '../config/schema.js'
import type { GatewayMetrics } from '../metrics.js'
import type { HealthLog } from './health/target-health.js'

export type BreakerConfig = NonNullable<UpstreamConfig['circuitBreaker']>
export type BreakerState = 'closed' | 'half-open' | 'open'

/** A 5xx answer: already relayed to the client, a failure to the breaker. */
export class UpstreamStatus extends Error {
  constructor (readonly status: number) { super(`upstream answered ${status}`) }
}

/** Marks an error that is the client's fault, so it never counts against the target. */
export const CLIENT_FAULT = Symbol('turnpike.clientFault')

type Start = () => Promise<number>

export class TargetBreaker {
  private readonly breaker: CircuitBreaker<[Start], number>
  private stateNow: BreakerState = 'closed'
  /** When an open breaker goes half-open (ms since the epoch), else 0. */
  private halfOpenAt = 0

  constructor (readonly upstream: string, readonly origin: string, readonly config: BreakerConfig,
    private readonly onOut: (out: boolean) => void, private readonly metrics: GatewayMetrics, log?: HealthLog) {
    this.breaker = new CircuitBreaker<[Start], number>(async (start: Start) => {
      const status = await start()
      if (status >= 500) throw new UpstreamStatus(status)
      return status
    }, {
      timeout: false,
      errorThresholdPercentage: config.errorThresholdPercentage,
      volumeThreshold: config.volumeThreshold,
      resetTimeout: config.resetTimeout,
      errorFilter: (err: unknown) => typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[CLIENT_FAULT] === true
    })
    this.breaker.on('open', () => {
      this.halfOpenAt = Date.now() + config.resetTimeout
      this.metrics.countBreakerTrip(upstream, origin)
      const wasProbing = this.stateNow === 'half-open'
      this.set('open', true)
      const { failures, fires } = this.breaker.stats
      const reason = wasProbing
        ? 'the half-open probe failed'
        : `${failures} of ${fires} attempts failed (errorThresholdPercentage ${config.errorThresholdPercentage})`
      log?.warn({ upstream, target: origin, reason: `${reason}; a probe in ${config.resetTimeout} ms` }, 'circuit breaker opened')
    })
    this.breaker.on('halfOpen', () => { this.halfOpenAt = 0; this.set('half-open', false) })
    this.breaker.on('close', () => {
      this.halfOpenAt = 0
      this.set('closed', false)
      log?.info({ upstream, target: origin, reason: 'the half-open probe succeeded' }, 'circuit breaker closed')
    })
    this.metrics.setBreakerState(upstream, origin, 'closed')
  }

  get state (): BreakerState { return this.stateNow }

  /** Milliseconds until an open breaker lets a probe through (0 unless open). */
  msUntilHalfOpen (now = Date.now()): number {
    return this.stateNow === 'open' ? Math.max(0, this.halfOpenAt - now) : 0
  }

  /** Runs one attempt through the breaker. Rejects with EOPENBREAKER (start not run) while open. */
  async fire (start: Start): Promise<number> {
    // The half-open probe: out of rotation until it settles (opossum admits only one).
    if (this.stateNow === 'half-open') this.onOut(true)
    return await this.breaker.fire(start)
  }

  shutdown (): void {
    this.breaker.shutdown()
    this.breaker.removeAllListeners()
    this.metrics.setBreakerState(this.upstream, this.origin, undefined)
  }

  private set (state: BreakerState, out: boolean): void {
    this.stateNow = state
    this.metrics.setBreakerState(this.upstream, this.origin, state)
    this.onOut(out)
  }
}

/** True for opossum's own rejection of an open (or probing) breaker. */
export function isBreakerOpen (err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'EOPENBREAKER'
}
