// The edge policies of one generation, in the order a request meets them (issue 4,
// plugins/README.md): IP rules → DDoS → rate limit → CORS → auth → cache → compression.
// Each is its own plugin that adds hooks only when the config asks for its policy, so
// a config without them costs the hot path nothing.
//
// They are registered with fastify-plugin into the encapsulated scope that holds the
// proxy route, because their hooks must apply to that route (a hook only applies to
// routes of its own scope); nothing leaks to the root or the admin server.
// Security headers are the exception: they go on every response, errors included, so
// plugins/security-headers.ts is registered at the root, before routing.
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { GatewayConfig } from './config/schema.js'
import type { EdgeState } from './edge/state.js'
import type { GatewayMetrics } from './metrics.js'
import type { RouteTable } from './routing/route-table.js'
import ipRules from '../plugins/ip-rules.js'
import ddos from '../plugins/ddos.js'
import rateLimit from '../plugins/rate-limit.js'
import cors from '../plugins/cors.js'
import auth from '../plugins/auth.js'
import cache from '../plugins/cache.js'
import compress from '../plugins/compress.js'

/** What every policy plugin is given. */
export interface PolicyOptions {
  readonly config: Readonly<GatewayConfig>
  /** Process-wide state: Redis, and what survives reloads (`keep`). */
  readonly edge: EdgeState
  readonly table: RouteTable
  readonly logger: Logger
  /** The gateway's metrics, which outlive the generation. */
  readonly metrics: GatewayMetrics
}

export async function registerPolicies (scope: FastifyInstance, options: PolicyOptions): Promise<void> {
  await scope.register(ipRules, options)
  await scope.register(ddos, options)
  await scope.register(rateLimit, options)
  await scope.register(cors, options)
  await scope.register(auth, options)
  await scope.register(cache, options)
  await scope.register(compress, options)
}
