// Target health keyed by identity (upstream name + origin), so a reload that keeps a
// target keeps its verdict, its ejection and its checker. Each generation that lists
// the target acquires it with its upstream's health policy; the policy of the newest
// generation still holding the target is the one in force. A changed healthCheck
// restarts the checker but keeps the current verdict (the new checker then moves it by
// its own thresholds); a removed healthCheck puts the target back in, a removed
// outlierDetection ends an ejection. Circuit breakers follow the same rule: an
// unchanged circuitBreaker keeps its breaker (and its state) across reloads, a changed
// one starts a new, closed breaker, a removed one puts the target back in. The last
// release stops everything (opossum's timers included).
import { TargetBreaker } from '../breaker.js'
import { ActiveChecker } from './active-checker.js'
import { OutlierDetector } from './outlier-detector.js'
import { TargetHealth, type HealthLog } from './target-health.js'
import type { HealthPolicy } from './types.js'
import type { UpstreamTls } from '../../tls/upstream-tls.js'
import type { GatewayMetrics } from '../../metrics.js'

/**
 * Active-check verdicts made elsewhere: in a cluster worker the primary runs every
 * check once and pushes the results, so a worker starts no checker of its own.
 */
export interface RemoteVerdicts {
  /** The latest verdict for the target, undefined before its first one. */
  verdict (upstream: string, origin: string): boolean | undefined
  /**
   * Whether the primary checks this upstream's targets. It checks the listed ones; the
   * targets of a discovered upstream are found by each worker's own lookups, so each
   * worker checks those itself.
   */
  covers (upstream: string): boolean
}

interface Holder { readonly key: string, readonly policy: HealthPolicy, readonly tls: UpstreamTls | undefined, refs: number }

interface Entry {
  readonly health: TargetHealth
  /** Policies of the generations holding the target, oldest first. */
  readonly holders: Holder[]
  checker?: { key: string, checker: ActiveChecker | null }
  detector?: { key: string, detector: OutlierDetector }
  breaker?: { key: string, breaker: TargetBreaker }
}

export class HealthRegistry {
  private readonly entries = new Map<string, Entry>()

  /** `metrics`: where the targets' health and breaker gauges go (the gateway's). */
  constructor (private readonly metrics: GatewayMetrics, private readonly remote: RemoteVerdicts | null = null, private readonly log?: HealthLog) {}

  /**
   * `joining`: the target is new to a running upstream (discovery found it), so with
   * active checks on it waits out of rotation for its first passing check. `tls`: what
   * https:// health probes connect with (the traffic's own settings).
   */
  acquire (upstream: string, origin: string, policy: HealthPolicy, tls?: UpstreamTls, joining = false): TargetHealth {
    const key = `${upstream}\u0000${origin}`
    let entry = this.entries.get(key)
    if (entry === undefined) {
      entry = { health: new TargetHealth(upstream, origin, this.metrics, this.log, joining && policy.healthCheck !== undefined), holders: [] }
      this.entries.set(key, entry)
    }
    const policyKey = JSON.stringify([policy.healthCheck, policy.outlierDetection, policy.circuitBreaker, tls?.digest])
    const index = entry.holders.findIndex((h) => h.key === policyKey)
    const holder = index === -1 ? { key: policyKey, policy, tls, refs: 0 } : entry.holders.splice(index, 1)[0]!
    holder.refs++
    entry.holders.push(holder)
    apply(entry, this.remote)
    return entry.health
  }

  release (upstream: string, origin: string, policy: HealthPolicy, tls?: UpstreamTls): void {
    const key = `${upstream}\u0000${origin}`
    const entry = this.entries.get(key)
    if (entry === undefined) return
    const policyKey = JSON.stringify([policy.healthCheck, policy.outlierDetection, policy.circuitBreaker, tls?.digest])
    const index = entry.holders.findIndex((h) => h.key === policyKey)
    if (index === -1) return
    if (--entry.holders[index]!.refs === 0) entry.holders.splice(index, 1)
    if (entry.holders.length > 0) {
      apply(entry, this.remote)
      return
    }
    this.entries.delete(key)
    stop(entry)
  }

  /** The health of a live target, if any generation holds it. */
  get (upstream: string, origin: string): TargetHealth | undefined {
    return this.entries.get(`${upstream}\u0000${origin}`)?.health
  }

  /** A verdict from the primary's checks (cluster worker): applied to the target, if held here. */
  setVerdict (upstream: string, origin: string, healthy: boolean): void {
    const entry = this.entries.get(`${upstream}\u0000${origin}`)
    if (entry?.checker !== undefined) entry.health.setHealthy(healthy)
  }

  closeAll (): void {
    for (const entry of this.entries.values()) stop(entry)
    this.entries.clear()
  }
}

/** Brings the checker and detector in line with the newest policy. */
function apply (entry: Entry, remote: RemoteVerdicts | null): void {
  const { health } = entry
  const newest = entry.holders[entry.holders.length - 1]!
  const { healthCheck, outlierDetection, circuitBreaker } = newest.policy

  const checkKey = JSON.stringify([healthCheck ?? null, newest.tls?.digest])
  if (entry.checker?.key !== checkKey) {
    entry.checker?.checker?.stop()
    entry.checker = undefined
    if (healthCheck === undefined) health.setHealthy(true, 'healthCheck was removed from the config')
    else if (remote !== null && remote.covers(health.upstream)) {
      entry.checker = { key: checkKey, checker: null }
      health.setHealthy(remote.verdict(health.upstream, health.origin) ?? health.healthy, 'verdict of the primary\'s health check')
    } else entry.checker = { key: checkKey, checker: new ActiveChecker(health.origin, healthCheck, health, undefined, newest.tls?.connect).start() }
  }

  const detectKey = JSON.stringify(outlierDetection ?? null)
  if (entry.detector?.key !== detectKey) {
    entry.detector?.detector.stop()
    entry.detector = undefined
    health.onOutcome = undefined
    health.setEjected(false, 'outlierDetection was changed in the config')
    if (outlierDetection !== undefined) {
      const detector = new OutlierDetector(outlierDetection, health)
      entry.detector = { key: detectKey, detector }
      health.onOutcome = (ok) => { detector.record(ok) }
    }
  }

  const breakerKey = JSON.stringify(circuitBreaker ?? null)
  if (entry.breaker?.key !== breakerKey) {
    entry.breaker?.breaker.shutdown()
    entry.breaker = undefined
    health.setBreaker(undefined)
    if (circuitBreaker !== undefined) {
      const breaker = new TargetBreaker(health.upstream, health.origin, circuitBreaker, (out) => { health.setBreakerOpen(out) }, health.metrics, health.log)
      entry.breaker = { key: breakerKey, breaker }
      health.setBreaker(breaker)
    }
  }
}

function stop (entry: Entry): void {
  entry.checker?.checker?.stop()
  entry.detector?.detector.stop()
  entry.breaker?.breaker.shutdown()
  entry.health.setBreaker(undefined)
  entry.health.onOutcome = undefined
  entry.health.retire()
}
