// The balancer an upstream's config asks for over a list of targets, with the wrappers
// its settings add: capacity first under `limits`, fail-open under `onNoHealthyTarget: any`.
import type { UpstreamConfig } from '../../config/schema.js'
import type { Balancer } from '../balancer.js'
import { failOpen } from '../health/fail-open.js'
import type { Target } from '../target.js'
import { balancerFor } from './index.js'
import { preferFree } from './prefer-free.js'

export function balancerOver (config: Readonly<UpstreamConfig>, targets: readonly Target[]): Balancer {
  let balancer = balancerFor(config.balancer)(targets, { random: Math.random, now: () => performance.now() })
  if (config.limits !== undefined) balancer = preferFree(balancer, targets)
  return config.onNoHealthyTarget === 'any' ? failOpen(balancer, targets) : balancer
}
