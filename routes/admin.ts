// The admin API, as an encapsulated plugin on the admin Fastify instance.
// It reads the gateway through the small AdminView seam, so it can be tested against
// a stand-in and never reaches into the data plane's internals.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { redactConfig } from '../src/config/redact.js'
import type { GatewayConfig } from '../src/config/schema.js'
import { AdminForbiddenError, AdminUnauthorizedError } from '../src/errors.js'
import type { UpstreamsView } from '../src/stats/snapshot.js'
import { COMMIT, VERSION } from '../src/version.js'
import { ipRuleRoutes, type IpRulesView } from './ip-rules.js'

export interface AdminView {
  readonly isReady: boolean
  readonly startedAt: Date
  readonly generation: {
    readonly id: number
    readonly loadedAt: Date
    readonly config: Readonly<GatewayConfig>
  }
  /** Every upstream's balancer and targets with their state (with workers: merged over them). */
  backends (): Promise<UpstreamsView>
  /** Names of the upstreams with no target in rotation now. */
  upstreamsDown (): string[]
  readonly lastReload: unknown
  reload (reason: string, force?: boolean): Promise<unknown>
  readonly edge: IpRulesView['edge']
}

const sha = (text: string): Buffer => createHash('sha256').update(text).digest()

/** Bearer-token guard for mutating calls; compares digests in constant time. */
function requireToken (view: AdminView) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = view.generation.config.admin.token
    if (token === '') throw new AdminForbiddenError('Mutating admin calls are disabled: admin.token is not set')
    const header = request.headers.authorization ?? ''
    const given = header.startsWith('Bearer ') ? header.slice(7) : ''
    if (given === '' || !timingSafeEqual(sha(given), sha(token))) {
      reply.header('www-authenticate', 'Bearer realm="turnpike-admin"')
      reply.code(401)
      throw new AdminUnauthorizedError()
    }
  }
}

export async function adminRoutes (app: FastifyInstance, opts: { view: AdminView }): Promise<void> {
  const { view } = opts

  app.get('/healthz', async () => ({ status: 'ok' }))

  app.get('/readyz', async (_request, reply) => {
    if (!view.isReady) return await reply.code(503).send({ status: 'not ready' })
    if (view.generation.config.admin.readyRequiresHealthyTarget) {
      const down = view.upstreamsDown()
      if (down.length > 0) return await reply.code(503).send({ status: 'no healthy target', upstreams: down })
    }
    return { status: 'ready', generation: view.generation.id }
  })

  app.get('/version', async () => ({
    version: VERSION,
    commit: COMMIT,
    node: process.version,
    startedAt: view.startedAt.toISOString()
  }))

  app.get('/config', async () => ({
    generation: view.generation.id,
    loadedAt: view.generation.loadedAt.toISOString(),
    lastReload: view.lastReload,
    config: redactConfig(view.generation.config)
  }))

  app.get('/backends', async () => ({ upstreams: await view.backends() }))

  app.post('/reload', { preHandler: requireToken(view) }, async (_request, reply) => {
    const result = await view.reload('admin POST /reload', true) as { result: string }
    return await reply.code(result.result === 'failure' ? 422 : 200).send(result)
  })

  await app.register(ipRuleRoutes, { view, guard: requireToken(view) })
}
