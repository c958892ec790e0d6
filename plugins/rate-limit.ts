// Rate limits: @fastify/rate-limit answers (RateLimit-* headers, 429 +
// Retry-After) while the counting is Turnpike's own (src/rate-limit/): three
// algorithms, in-process or shared through Redis with an in-process fallback.
//
// @fastify/rate-limit is registered into the scope of each limited route, once per
// config generation, and that scope gets one limiter (`scope.rateLimit`), for its route
// only: no per-request look-up of the route's limit. Limits by IP or header run in
// onRequest, refusing before auth spends any work; limits by API key or JWT claim need
// the identity auth finds, so they run in preHandler. Exempt addresses (IP rules) are
// never limited.
import fastifyRateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import { RateLimitedError } from '../src/errors.js'
import type { PolicyOptions, RoutePolicy } from '../src/routing/route-policy.js'
import { keyOf } from '../src/rate-limit/keys.js'
import { LocalStore, type RateStore } from '../src/rate-limit/local-store.js'
import { PluginStore, type TurnpikeLimiterOptions } from '../src/rate-limit/plugin-store.js'
import { RedisStore } from '../src/rate-limit/redis-store.js'
import { RequestPass } from '../src/rate-limit/request-pass.js'
import { keepKey, limitOf, needsIdentity, ruleFor, type RateRule } from '../src/rate-limit/rule.js'

type Limiter = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>

function storeFor (rule: RateRule, options: PolicyOptions): RateStore {
  // Kept across reloads: an unchanged limit keeps counting where it was.
  const local = options.edge.keep(keepKey(rule), () => new LocalStore(rule))
  const link = options.edge.redis
  // Redis shares the limit between replicas and workers alike; without it, a cluster
  // worker's limit is counted by the primary, once for the gateway.
  if (link !== null) return new RedisStore(link, rule, local)
  return options.edge.shared?.rateStore(rule) ?? local
}

function exemptOr (limiter: Limiter): onRequestHookHandler {
  return (request, reply, done) => {
    if (request.turnpike.exempt) {
      done()
      return
    }
    limiter(request, reply).then(() => { done() }, done)
  }
}

export function prepareRateLimit (options: PolicyOptions): RoutePolicy | null {
  if (!options.table.routes.some((route) => ruleFor(route, options.config) !== null)) return null
  const apiKeyHeader = options.config.auth?.apiKeys?.header ?? 'x-api-key'

  return async (scope: FastifyInstance, route) => {
    const rule = ruleFor(route, options.config)
    if (rule === null) return
    await scope.register(fastifyRateLimit, {
      global: false,
      enableDraftSpec: true,
      store: PluginStore,
      errorResponseBuilder: (_request, context) => new RateLimitedError(Math.max(1, Math.ceil(context.ttl / 1000)))
    })
    const name = route.name
    // The plugin gets a ticket for the request, the store redeems it (request-pass.ts).
    const pass = new RequestPass()
    const limiterOptions: Parameters<FastifyInstance['rateLimit']>[0] & TurnpikeLimiterOptions = {
      max: limitOf(rule),
      timeWindow: rule.window,
      keyGenerator: (request) => pass.ticket(request),
      onExceeded: () => { options.metrics.countRateLimited(name) },
      turnpike: { store: storeFor(rule, options), keyOf: keyOf(rule.keyBy, apiKeyHeader), pass }
    }
    const limiter = scope.rateLimit(limiterOptions) as unknown as Limiter
    scope.addHook(needsIdentity(rule) ? 'preHandler' : 'onRequest', exemptOr(limiter))
  }
}
