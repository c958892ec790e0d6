// Which limit a route has, worked out once per config generation: the route's own
// `rateLimit`, none when it says `false`, otherwise `security.rateLimit`.
import type { GatewayConfig } from '../config/schema.js'
import type { CompiledRoute } from '../routing/compiled-route.js'

// The schema's type widens `algorithm` to string; the validator has already narrowed it.
export type Algorithm = 'fixed-window' | 'sliding-window' | 'token-bucket'

/** One route's limit with every default resolved. */
export interface RateRule {
  readonly route: string
  readonly algorithm: Algorithm
  /** Requests per window; for token-bucket, tokens added per window. */
  readonly max: number
  /** Milliseconds. */
  readonly window: number
  /** Token-bucket size (default `max`); the other algorithms ignore it. */
  readonly burst: number
  readonly keyBy: string
}

export function ruleFor (route: CompiledRoute, config: Readonly<GatewayConfig>): RateRule | null {
  const own = route.config.rateLimit
  if (own === false) return null
  const limit = own ?? config.security?.rateLimit
  if (limit === undefined) return null
  return Object.freeze({
    route: route.name,
    algorithm: limit.algorithm as Algorithm,
    max: limit.max,
    // A 0 ms window would divide by zero in every algorithm; the schema allows `0s`.
    window: Math.max(1, limit.window),
    burst: limit.burst ?? limit.max,
    keyBy: limit.keyBy
  })
}

/** What RateLimit-Limit says: the bucket size for token-bucket, `max` otherwise. */
export function limitOf (rule: RateRule): number {
  return rule.algorithm === 'token-bucket' ? rule.burst : rule.max
}

/** The `edge.keep` key of a route's in-process counters: every setting they depend on. */
export function keepKey (rule: RateRule): string {
  return `rate-limit:${rule.route}:${rule.algorithm}:${rule.max}:${rule.window}:${rule.burst}:${rule.keyBy}`
}

/** apiKey and claim keys exist only once auth has run (onRequest): those limits run in preHandler. */
export function needsIdentity (rule: RateRule): boolean {
  return rule.keyBy === 'apiKey' || rule.keyBy.startsWith('claim:')
}
