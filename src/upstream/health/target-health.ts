// The health of one target (upstream name + origin), kept across config reloads by the
// HealthRegistry. Named flags, each owned by one mechanism, combine into the single
// `available` boolean the balancers read: active checks, outlier ejection and the
// circuit breaker. State changes are emitted as 'change', and the ones an operator
// must hear of (out of rotation and back) are one log line each, with the reason.
import { EventEmitter } from 'node:events'
import type { GatewayMetrics } from '../../metrics.js'
import type { TargetBreaker } from '../breaker.js'
import type { TargetState } from '../target.js'

export interface HealthSnapshot {
  /** What the active checks say (true when there are none). */
  readonly healthy: boolean
  /** Out of rotation by passive outlier detection. */
  readonly ejected: boolean
  /** Out of rotation by its circuit breaker (open, or half-open with its probe in flight). */
  readonly breakerOpen: boolean
  /** Whether balancers may pick the target. */
  readonly available: boolean
}

const byState = new WeakMap<TargetState, TargetHealth>()

/** The health behind a target's state (undefined for a state the registry did not make). */
export function healthOf (state: TargetState): TargetHealth | undefined {
  return byState.get(state)
}

/** Where health transitions are logged (a pino Logger fits). */
export interface HealthLog {
  info (fields: object, message: string): void
  warn (fields: object, message: string): void
}

const SILENT: HealthLog = { info: () => undefined, warn: () => undefined }

export class TargetHealth extends EventEmitter<{ change: [HealthSnapshot] }> {
  private activeHealthy = true
  private ejectedNow = false
  private breakerOut = false
  private breakerNow: TargetBreaker | undefined
  private readonly states = new Set<TargetState>()
  /** Passive outlier detection's hook, set while the upstream has it configured. */
  onOutcome: ((ok: boolean) => void) | undefined

  /**
   * True for a target that joined a running upstream (found by discovery) while checks
   * are on: it starts out of rotation and its first passing check brings it in.
   */
  provisional: boolean

  constructor (readonly upstream: string, readonly origin: string, readonly metrics: GatewayMetrics, readonly log: HealthLog = SILENT, provisional = false) {
    super()
    this.provisional = provisional
    this.activeHealthy = !provisional
    this.metrics.setTargetHealthy(upstream, origin, !provisional)
  }

  get healthy (): boolean { return this.activeHealthy }
  get ejected (): boolean { return this.ejectedNow }
  get breakerOpen (): boolean { return this.breakerOut }
  /** The circuit breaker, while the upstream configures one. */
  get breaker (): TargetBreaker | undefined { return this.breakerNow }

  /** Every condition that takes a target out of rotation, by its owner. */
  get inRotation (): boolean {
    return this.activeHealthy && !this.ejectedNow && !this.breakerOut
  }

  snapshot (): HealthSnapshot {
    return { healthy: this.activeHealthy, ejected: this.ejectedNow, breakerOpen: this.breakerOut, available: this.inRotation }
  }

  setHealthy (healthy: boolean, reason = ''): void {
    if (healthy) this.provisional = false
    if (this.activeHealthy === healthy) return
    this.activeHealthy = healthy
    this.report(healthy ? 'info' : 'warn', healthy ? 'target healthy' : 'target unhealthy', reason)
    this.changed()
  }

  setEjected (ejected: boolean, reason = ''): void {
    if (this.ejectedNow === ejected) return
    this.ejectedNow = ejected
    this.report(ejected ? 'warn' : 'info', ejected ? 'target ejected' : 'target back from ejection', reason)
    this.changed()
  }

  /** One line for an operator: which upstream, which target, why. */
  report (level: 'info' | 'warn', message: string, reason: string): void {
    this.log[level]({ upstream: this.upstream, target: this.origin, reason }, message)
  }

  setBreakerOpen (open: boolean): void {
    if (this.breakerOut === open) return
    this.breakerOut = open
    this.changed()
  }

  /** Installs (or, with undefined, removes) the breaker every attached state uses. */
  setBreaker (breaker: TargetBreaker | undefined): void {
    this.breakerNow = breaker
    for (const state of this.states) state.breaker = breaker
    if (breaker === undefined) this.setBreakerOpen(false)
  }

  /** A target state (one pool of this target) now follows this health. */
  attach (state: TargetState): void {
    this.states.add(state)
    byState.set(state, this)
    state.available = this.inRotation
    state.breaker = this.breakerNow
  }

  detach (state: TargetState): void {
    this.states.delete(state)
    byState.delete(state)
    state.breaker = undefined
  }

  /** The last generation let go of the target: drop its metric series. */
  retire (): void {
    this.metrics.setTargetHealthy(this.upstream, this.origin, undefined)
    this.removeAllListeners()
  }

  private changed (): void {
    const available = this.inRotation
    for (const state of this.states) state.available = available
    this.metrics.setTargetHealthy(this.upstream, this.origin, this.activeHealthy && !this.ejectedNow)
    this.emit('change', this.snapshot())
  }
}
