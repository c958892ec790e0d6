// Hand-built targets and injected randomness/clock for the balancer unit tests: no
// sockets, no registry, and the same sequence of picks on every run.
import type { Dispatcher } from 'undici'
import type { BalancerOptions, PickContext } from '../../src/upstream/balancer.js'
import type { Target } from '../../src/upstream/target.js'

export function fakeTarget (name: string, weight = 1): Target {
  const origin = `http://${name}.test:80`
  return {
    url: origin,
    origin,
    host: `${name}.test:80`,
    weight,
    state: { upstream: 'u', origin, pool: {} as Dispatcher, connect: {}, activeRequests: 0, available: true, breaker: undefined, gate: undefined }
  }
}

/** Targets a, b, c, … with the given weights. */
export function fakeTargets (...weights: number[]): Target[] {
  return weights.map((w, i) => fakeTarget(String.fromCharCode(97 + i), w))
}

/** mulberry32: a small seeded PRNG in [0, 1). */
export function seeded (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface FakeClock { now: () => number, advance: (ms: number) => void }

export function fakeClock (start = 1_000_000): FakeClock {
  let t = start
  return { now: () => t, advance: (ms) => { t += ms } }
}

export function options (seed = 1, clock: FakeClock = fakeClock()): BalancerOptions {
  return { random: seeded(seed), now: clock.now }
}

export const ctx = (hashKey?: string, clientIp = '192.0.2.1'): PickContext => ({ clientIp, hashKey })

/** How many of `picks` picks each target got, by host name (a, b, …). */
export function countPicks (pick: () => Target | undefined, picks: number): Record<string, number> {
  const counts: Record<string, number> = {}
  for (let i = 0; i < picks; i++) {
    const t = pick()
    const key = t === undefined ? 'none' : t.host.split('.')[0] as string
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

/** Takes targets out of rotation, as a health check or ejection would. */
export function disable (...targets: Array<Target | undefined>): void {
  for (const t of targets) if (t !== undefined) t.state.available = false
}

/** The one-letter name of a picked target (a, b, …), or '-' for none. */
export const nameOf = (t: Target | undefined): string => t === undefined ? '-' : t.host[0] as string

export function enable (...targets: Array<Target | undefined>): void {
  for (const t of targets) if (t !== undefined) t.state.available = true
}
