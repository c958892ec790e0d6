// The edge policies of one generation, in the order a request meets them
// (plugins/README.md): IP rules → DDoS → rate limit → CORS → auth → cache → compression.
// Each policy is prepared once per generation from the whole config (plugins/*.ts);
// then each config route's own Fastify scope (src/app.ts) gets exactly the policies that
// route uses, so a route's hook list holds its own policies and nothing else, and a
// policy no route uses is not even prepared.
//
// @fastify/cors comes first in a route's chain although CORS's turn is after the rate
// limit: it only writes headers there, so that refusals carry them (plugins/cors.ts),
// and the preflight is answered at CORS's turn.
// Security headers are not here: they go on every answer, errors and 404s included, so
// plugins/security-headers.ts runs at the root, before routing.
import type { FastifyInstance } from 'fastify'
import type { CompiledRoute } from './routing/compiled-route.js'
import type { PolicyOptions, PreparePolicy, RoutePolicy } from './routing/route-policy.js'
import { prepareIpRules } from '../plugins/ip-rules.js'
import { prepareDdos } from '../plugins/ddos.js'
import { prepareRateLimit } from '../plugins/rate-limit.js'
import { prepareCorsHeaders, prepareCorsPreflight } from '../plugins/cors.js'
import { prepareAuth } from '../plugins/auth.js'
import { prepareCache } from '../plugins/cache.js'
import { prepareCompress } from '../plugins/compress.js'

const ORDER: readonly PreparePolicy[] = [
  prepareCorsHeaders, prepareIpRules, prepareDdos, prepareRateLimit, prepareCorsPreflight,
  prepareAuth, prepareCache, prepareCompress
]

/** The generation's policies, ready to be added route by route. */
export async function preparePolicies (options: PolicyOptions): Promise<(scope: FastifyInstance, route: CompiledRoute) => Promise<void>> {
  const policies: RoutePolicy[] = []
  for (const prepare of ORDER) {
    const policy = await prepare(options)
    if (policy !== null) policies.push(policy)
  }
  return async (scope, route) => {
    for (const policy of policies) await policy(scope, route)
  }
}
