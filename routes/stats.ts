// Admin GET /stats: the JSON the web dashboard and `turnpike top` poll.
import type { FastifyInstance } from 'fastify'
import { buildStats, type StatsView } from '../src/stats/snapshot.js'

export type { StatsView }

export async function statsRoutes (app: FastifyInstance, opts: { view: StatsView }): Promise<void> {
  const { view } = opts
  app.get('/stats', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
    return await buildStats(view)
  })
}
