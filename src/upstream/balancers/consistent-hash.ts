// Consistent hashing: the same key (the upstream's `hashOn` value for the request) always
// reaches the same target while that target is available, and a change to the target
// list moves only about 1/N of the keys. A request without a key (the header, cookie or
// claim is missing) is hashed on its client IP instead, so it still sticks somewhere.
import type { Balancer } from '../balancer.js'
import { hash32 } from '../hash.js'
import type { Target } from '../target.js'
import { HashRing } from './hash-ring.js'

export function consistentHash (targets: readonly Target[]): Balancer {
  const ring = new HashRing(targets)
  return {
    pick (ctx) {
      return ring.lookup(hash32(ctx.hashKey ?? ctx.clientIp))
    }
  }
}
