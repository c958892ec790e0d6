// Waiting on target health without sleeping: resolve on the 'change' event that makes
// the predicate true, or fail after a bounded time.
import type { Gateway } from '../../src/server.js'
import { healthOf, type HealthSnapshot, type TargetHealth } from '../../src/upstream/health/target-health.js'

export async function healthChange (health: TargetHealth, until: (s: HealthSnapshot) => boolean, withinMs: number): Promise<number> {
  const started = performance.now()
  if (until(health.snapshot())) return 0
  return await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      health.off('change', listener)
      reject(new Error(`health of ${health.origin} did not change as expected within ${withinMs}ms (now ${JSON.stringify(health.snapshot())})`))
    }, withinMs)
    const listener = (s: HealthSnapshot): void => {
      if (!until(s)) return
      clearTimeout(timer)
      health.off('change', listener)
      resolve(performance.now() - started)
    }
    health.on('change', listener)
  })
}

/** The health of an upstream's target in the gateway's current generation. */
export function targetHealth (gateway: Gateway, upstream: string, index: number): TargetHealth {
  const state = gateway.generation.built.upstreams.get(upstream)?.targets[index]?.state
  const health = state === undefined ? undefined : healthOf(state)
  if (health === undefined) throw new Error(`no target ${index} in upstream ${upstream}`)
  return health
}
