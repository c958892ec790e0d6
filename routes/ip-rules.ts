// Run-time IP rules: GET /ip-rules lists the effective rules and where they
// come from; PUT / DELETE /ip-rules/{allow,deny,exempt}/:cidr change them (admin
// token), with a CIDR's `/` sent as `%2F`. Changes apply to this replica at once and,
// with Redis, reach the other replicas through it (src/ip-rules/redis-sync.ts).
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import type { GatewayConfig } from '../src/config/schema.js'
import { canonicalCidr, configLists, effectiveLists, isListName, runtimeLists, type Change } from '../src/ip-rules/lists.js'
import type { IpRuleStore } from '../src/ip-rules/store.js'
import { AdminBadCidrError, AdminUnknownListError } from '../src/errors.js'

export interface IpRulesView {
  readonly generation: { readonly config: Readonly<GatewayConfig> }
  readonly edge: { readonly ipRules: IpRuleStore }
}

interface Params {
  list: string
  cidr?: string
  address?: string
  bits?: string
}

export async function ipRuleRoutes (app: FastifyInstance, opts: { view: IpRulesView, guard: preHandlerAsyncHookHandler }): Promise<void> {
  const { view, guard } = opts
  const store = view.edge.ipRules
  const fromConfig = () => configLists(view.generation.config.security?.ipFilter)

  app.get('/ip-rules', async () => {
    const config = fromConfig()
    const changes = store.snapshot()
    return { ...effectiveLists(config, changes), config, runtime: runtimeLists(changes), redis: store.redis }
  })

  const change = (kind: Change) => async (request: FastifyRequest) => {
    const params = request.params as Params
    if (!isListName(params.list)) {
      throw new AdminUnknownListError(params.list)
    }
    const given = params.cidr ?? `${params.address ?? ''}/${params.bits ?? ''}`
    const cidr = canonicalCidr(given)
    if (cidr === null) {
      throw new AdminBadCidrError(given)
    }
    const config = fromConfig()
    // A removal is only remembered for an entry of the config (it overrides the config);
    // removing a run-time addition just forgets it.
    const recorded = kind === 'added' || config[params.list].includes(cidr) ? kind : null
    const { persisted } = await store.change(params.list, cidr, recorded)
    return { list: params.list, cidr, change: kind, persisted, rules: effectiveLists(config, store.snapshot()) }
  }

  for (const url of ['/ip-rules/:list/:cidr', '/ip-rules/:list/:address/:bits']) {
    app.put(url, { preHandler: guard }, change('added'))
    app.delete(url, { preHandler: guard }, change('removed'))
  }
}
