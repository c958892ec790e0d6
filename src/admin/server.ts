// The admin server: its own Fastify instance on admin.port, so probes,
// metrics and reloads never share a listener, a router or limits with client traffic.
import type { AddressInfo } from 'node:net'
import Fastify, { LogController } from 'fastify'
import { adminRoutes, type AdminView } from '../../routes/admin.js'
import { dashboardRoutes } from '../../routes/dashboard.js'
import { statsRoutes, type StatsView } from '../../routes/stats.js'
import type { AdminConfig } from '../config/schema.js'
import { errorBody } from '../error-body.js'

export interface AdminServer {
  listen (): Promise<void>
  address (): AddressInfo
  close (): Promise<void>
}

export interface AdminOptions {
  /**
   * What GET /metrics answers: the gateway's own registry (GatewayMetrics), or in a
   * cluster primary the whole gateway's metrics, merged over its workers.
   */
  readonly metrics: () => Promise<{ contentType: string, text: string }>
}

export async function buildAdmin (view: AdminView & StatsView & { logger: import('pino').Logger }, admin: AdminConfig, options: AdminOptions): Promise<AdminServer> {
  const app = Fastify({ loggerInstance: view.logger.child({ component: 'admin' }), logController: new LogController({ disableRequestLogging: true }) })
  app.setErrorHandler((err: { statusCode?: number, code?: string, message: string }, request, reply) => {
    const status = err.statusCode ?? 500
    void reply.code(status).send(errorBody(status, err.code ?? 'TURNPIKE_ADMIN_ERROR', err.message, request.id))
  })
  // One route of our own rather than fastify-metrics: that plugin always exposes
  // prom-client's process-wide registry, and a gateway's metrics are its own
  // (src/metrics.ts). The admin routes themselves are not measured.
  const metrics = options.metrics
  app.get('/metrics', async (_request, reply) => {
    const { contentType, text } = await metrics()
    return await reply.type(contentType).send(text)
  })
  await app.register(adminRoutes, { view })
  await app.register(statsRoutes, { view })
  await app.register(dashboardRoutes)
  return {
    async listen () {
      await app.listen({ port: admin.port, host: admin.host })
    },
    address () {
      return app.server.address() as AddressInfo
    },
    async close () {
      await app.close()
    }
  }
}

