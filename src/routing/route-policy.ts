// The shape of a built-in edge policy (plugins/*.ts). A policy is prepared once per
// config generation from the whole config (keys imported, stores opened, rules
// compiled); what it returns is then called once for each route's own Fastify scope
// and adds to that scope only the hooks (or the Fastify plugins) that this route needs.
// A route that does not use the policy gets nothing, so it pays nothing for it.
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { GatewayConfig } from '../config/schema.js'
import type { EdgeState } from '../edge/state.js'
import type { GatewayMetrics } from '../metrics.js'
import type { CompiledRoute } from './compiled-route.js'
import type { RouteTable } from './route-table.js'

/** What every policy is given. */
export interface PolicyOptions {
  readonly config: Readonly<GatewayConfig>
  /** Process-wide state: Redis, and what survives reloads (`keep`). */
  readonly edge: EdgeState
  readonly table: RouteTable
  readonly logger: Logger
  /** The gateway's metrics, which outlive the generation. */
  readonly metrics: GatewayMetrics
}

/** Adds one policy to one route's scope; registered in the order a request meets the policies. */
export type RoutePolicy = (scope: FastifyInstance, route: CompiledRoute) => void | Promise<void>

/** A policy made ready for a generation; null when no route of the config uses it. */
export type PreparePolicy = (options: PolicyOptions) => RoutePolicy | null | Promise<RoutePolicy | null>
