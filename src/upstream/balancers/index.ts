// Balancer name (gateway.yaml `upstreams.NAME.balancer`) → factory.
import type { BalancerFactory } from '../balancer.js'
import { roundRobin } from './round-robin.js'

const factories: Record<string, BalancerFactory> = {
  'round-robin': roundRobin
}

export function balancerFor (name: string): BalancerFactory {
  const factory = factories[name]
  if (factory === undefined) throw new Error(`balancer "${name}" is not available in this version`)
  return factory
}
