// The admin server: its own Fastify instance on admin.port, so probes,
// metrics and reloads never share a listener, a router or limits with client traffic.
import type { AddressInfo } from 'node:net'
import Fastify, { LogController } from 'fastify'
import client from '@platformatic/prom-client'
import fastifyMetricsModule from 'fastify-metrics'
import { adminRoutes, type AdminView } from '../../routes/admin.js'
import { dashboardRoutes } from '../../routes/dashboard.js'
import { statsRoutes, type StatsView } from '../../routes/stats.js'
import type { AdminConfig } from '../config/schema.js'

// fastify-metrics is CommonJS with an `exports.default`; under NodeNext the plugin is one level down.
const fastifyMetrics = fastifyMetricsModule.default

export interface AdminServer {
  listen (): Promise<void>
  address (): AddressInfo
  close (): Promise<void>
}

/** Set by a cluster primary: GET /metrics answers the whole gateway's metrics, merged over its workers. */
export interface AdminOptions {
  readonly metrics?: () => Promise<{ contentType: string, text: string }>
}

export async function buildAdmin (view: AdminView & StatsView & { logger: import('pino').Logger }, admin: AdminConfig, options: AdminOptions = {}): Promise<AdminServer> {
  const app = Fastify({ loggerInstance: view.logger.child({ component: 'admin' }), logController: new LogController({ disableRequestLogging: true }) })
  app.setErrorHandler((err: { statusCode?: number, code?: string, message: string }, request, reply) => {
    const status = err.statusCode ?? 500
    void reply.code(status).send({ statusCode: status, code: err.code ?? 'TURNPIKE_ADMIN_ERROR', error: 'Admin error', message: err.message, requestId: request.id })
  })
  const merged = options.metrics
  if (merged !== undefined) {
    app.get('/metrics', async (_request, reply) => {
      const { contentType, text } = await merged()
      return await reply.type(contentType).send(text)
    })
  } else {
    // Process metrics plus the turnpike_* metrics the data plane records on the same
    // registry; the admin routes themselves are not measured.
    await app.register(fastifyMetrics, {
      promClient: client as never,
      endpoint: '/metrics',
      // The process metrics live on the process-wide registry: register them once, even
      // when a process builds a second admin server (tests, or a restart in place).
      defaultMetrics: { enabled: client.register.getSingleMetric('process_cpu_user_seconds_total') === undefined },
      routeMetrics: { enabled: false }
    })
  }
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

