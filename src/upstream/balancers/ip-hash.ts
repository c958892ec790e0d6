// ip-hash is consistent-hash with the key defaulting to the client IP (as the gateway
// sees it through server.trustProxy). It is the same ring, so it keeps consistent
// hashing's property that adding or removing a target moves only ~1/N of clients —
// unlike nginx's ip_hash, which rehashes everyone. It honours `hashOn` like
// consistent-hash does; the name exists because it is the one operators look for.
import type { BalancerFactory } from '../balancer.js'
import { consistentHash } from './consistent-hash.js'

export const ipHash: BalancerFactory = consistentHash
