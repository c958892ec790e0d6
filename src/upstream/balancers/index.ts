// Balancer name (gateway.yaml `upstreams.NAME.balancer`) → factory.
import type { BalancerFactory } from '../balancer.js'
import { consistentHash } from './consistent-hash.js'
import { ipHash } from './ip-hash.js'
import { leastConnections } from './least-connections.js'
import { p2cEwma } from './p2c-ewma.js'
import { random } from './random.js'
import { roundRobin } from './round-robin.js'
import { weightedRoundRobin } from './weighted-round-robin.js'

const factories: Record<string, BalancerFactory> = {
  'round-robin': roundRobin,
  'weighted-round-robin': weightedRoundRobin,
  'least-connections': leastConnections,
  'ip-hash': ipHash,
  'consistent-hash': consistentHash,
  random,
  'p2c-ewma': p2cEwma
}

/** The balancers that read PickContext.hashKey; for the others it is not computed. */
const HASHING: ReadonlySet<string> = new Set(['ip-hash', 'consistent-hash'])

export function balancerFor (name: string): BalancerFactory {
  const factory = factories[name]
  if (factory === undefined) throw new Error(`balancer "${name}" is not available in this version`)
  return factory
}

export function usesHashKey (name: string): boolean {
  return HASHING.has(name)
}
