// Active health checks of one target. One check at a time: the next is scheduled
// `interval` after the previous one finished (a single setTimeout re-armed with
// refresh()), so a slow target never piles checks up. Consecutive results only move
// the verdict: `unhealthyThreshold` failures in a row take the target out,
// `healthyThreshold` passes in a row bring it back, anything in between keeps it. A
// provisional target (new from discovery) needs just one pass to enter.
import { EventEmitter } from 'node:events'
import { probeFor, type Probe } from './probe.js'
import type { TargetHealth } from './target-health.js'
import type { HealthCheckConfig } from './types.js'
import type { ConnectionOptions } from 'node:tls'

export class ActiveChecker extends EventEmitter<{ check: [boolean] }> {
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  /** Aborts the check in flight (on stop). */
  private current: AbortController | undefined
  private readonly probe: Probe
  private passes = 0
  private failures = 0

  constructor (origin: string, private readonly config: HealthCheckConfig, private readonly health: TargetHealth, probe?: Probe, tls?: Readonly<ConnectionOptions>) {
    super()
    this.probe = probe ?? probeFor(origin, config, tls)
  }

  /** The first check runs now, so a target that is down at startup goes out quickly. */
  start (): this {
    void this.check()
    return this
  }

  stop (): void {
    this.stopped = true
    this.current?.abort()
    clearTimeout(this.timer)
    this.probe.close()
  }

  private async check (): Promise<void> {
    // One controller per check, aborted by its own (unref'd) timeout or by stop();
    // not AbortSignal.any over a long-lived signal, which older Node versions leak.
    const attempt = new AbortController()
    this.current = attempt
    const timeout = AbortSignal.timeout(this.config.timeout)
    const onTimeout = (): void => { attempt.abort(timeout.reason) }
    timeout.addEventListener('abort', onTimeout, { once: true })
    let ok: boolean
    try {
      ok = await this.probe.run(attempt.signal)
    } finally {
      timeout.removeEventListener('abort', onTimeout)
      this.current = undefined
    }
    if (this.stopped) return
    this.record(ok)
    this.emit('check', ok)
    if (this.timer === undefined) this.timer = setTimeout(() => { void this.check() }, this.config.interval).unref()
    else this.timer.refresh()
  }

  /** `3 checks of GET /health (expecting 200-399)`, for the log line of a verdict. */
  private what (count: number): string {
    const { type, path, expectStatus } = this.config
    const checks = count === 1 ? 'check' : 'checks'
    if (type === 'grpc') return `${count} ${checks} of grpc.health.v1.Health/Check (expecting SERVING)`
    return type === 'tcp' ? `${count} TCP connect ${checks}` : `${count} ${checks} of GET ${path} (expecting ${expectStatus})`
  }

  private record (ok: boolean): void {
    if (ok) {
      this.failures = 0
      if (++this.passes >= this.config.healthyThreshold || this.health.provisional) this.health.setHealthy(true, `${this.what(this.passes)} passed in a row`)
    } else {
      this.passes = 0
      if (++this.failures >= this.config.unhealthyThreshold) this.health.setHealthy(false, `${this.what(this.failures)} failed in a row`)
    }
  }
}
