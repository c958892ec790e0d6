// Admin GET /stats: the JSON the web dashboard and `turnpike top` poll.
import type { FastifyInstance } from 'fastify'
import type { GatewayStats } from '../src/stats/types.js'

/** What GET /stats reads: one process's numbers, or (with workers) the whole gateway's. */
export interface StatsView {
  snapshotStats (): Promise<GatewayStats>
}

export async function statsRoutes (app: FastifyInstance, opts: { view: StatsView }): Promise<void> {
  const { view } = opts
  app.get('/stats', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
    return await view.snapshotStats()
  })
}
