// The health of one target (upstream name + origin), kept across config reloads by the
// HealthRegistry. Named flags, each owned by one mechanism, combine into the single
// `available` boolean the balancers read; add a flag (the circuit breaker's) to
// `inRotation` and nothing else changes. State changes are emitted as 'change'.
import { EventEmitter } from 'node:events'
import { setTargetHealthy } from '../../metrics.js'
import type { TargetState } from '../target.js'

export interface HealthSnapshot {
  /** What the active checks say (true when there are none). */
  readonly healthy: boolean
  /** Out of rotation by passive outlier detection. */
  readonly ejected: boolean
  /** Whether balancers may pick the target. */
  readonly available: boolean
}

const byState = new WeakMap<TargetState, TargetHealth>()

/** The health behind a target's state (undefined for a state the registry did not make). */
export function healthOf (state: TargetState): TargetHealth | undefined {
  return byState.get(state)
}

export class TargetHealth extends EventEmitter<{ change: [HealthSnapshot] }> {
  private activeHealthy = true
  private ejectedNow = false
  private readonly states = new Set<TargetState>()
  /** Passive outlier detection's hook, set while the upstream has it configured. */
  onOutcome: ((ok: boolean) => void) | undefined

  constructor (readonly upstream: string, readonly origin: string) {
    super()
    setTargetHealthy(upstream, origin, true)
  }

  get healthy (): boolean { return this.activeHealthy }
  get ejected (): boolean { return this.ejectedNow }

  /** Every condition that takes a target out of rotation, by its owner. */
  get inRotation (): boolean {
    return this.activeHealthy && !this.ejectedNow
  }

  snapshot (): HealthSnapshot {
    return { healthy: this.activeHealthy, ejected: this.ejectedNow, available: this.inRotation }
  }

  setHealthy (healthy: boolean): void {
    if (this.activeHealthy === healthy) return
    this.activeHealthy = healthy
    this.changed()
  }

  setEjected (ejected: boolean): void {
    if (this.ejectedNow === ejected) return
    this.ejectedNow = ejected
    this.changed()
  }

  /** A target state (one pool of this target) now follows this health. */
  attach (state: TargetState): void {
    this.states.add(state)
    byState.set(state, this)
    state.available = this.inRotation
  }

  detach (state: TargetState): void {
    this.states.delete(state)
    byState.delete(state)
  }

  /** The last generation let go of the target: drop its metric series. */
  retire (): void {
    setTargetHealthy(this.upstream, this.origin, undefined)
    this.removeAllListeners()
  }

  private changed (): void {
    const available = this.inRotation
    for (const state of this.states) state.available = available
    setTargetHealthy(this.upstream, this.origin, this.activeHealthy && !this.ejectedNow)
    this.emit('change', this.snapshot())
  }
}
