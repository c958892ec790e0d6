// DDoS blocking (security.ddos): an address over `threshold` requests per `window` is
// refused with 429 + Retry-After for `blockFor`. With Redis the counts and blocks are
// shared by every replica; without it, or while Redis fails or is slower than the
// request's redis.timeout, they are in-process.
// Exempt addresses (IP rules) are never counted or blocked. No hook without security.ddos.
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import type { GatewayMetrics } from '../src/metrics.js'
import type { PolicyOptions, RoutePolicy } from '../src/routing/route-policy.js'
import { DdosBlockedError } from '../src/errors.js'
import { clientIpOf } from '../src/proxy/context.js'
import { LocalDdosStore } from '../src/ddos/local-store.js'
import { redisDdosCheck } from '../src/ddos/redis-store.js'

type Done = (err?: Error) => void

/** Lets the request on (`left` 0) or refuses it with the seconds its block has left. */
function settle (reply: FastifyReply, left: number, done: Done, metrics: GatewayMetrics): void {
  if (left <= 0) {
    done()
    return
  }
  const seconds = Math.max(1, Math.ceil(left / 1000))
  reply.header('retry-after', String(seconds))
  metrics.countBlockedIp('ddos')
  done(new DdosBlockedError(seconds))
}

/** One hook for every route's scope: the counts are per client address, not per route. */
export function prepareDdos (options: PolicyOptions): RoutePolicy | null {
  const hook = ddosHook(options)
  return hook === null ? null : (scope) => { scope.addHook('onRequest', hook) }
}

function ddosHook (options: PolicyOptions): onRequestHookHandler | null {
  const settings = options.config.security?.ddos
  if (settings === undefined) return null
  const metrics = options.metrics
  const { threshold, window, blockFor } = settings
  // Also the fallback while Redis fails; kept across reloads that leave the settings alone.
  const local = options.edge.keep(`ddos:${threshold}:${window}:${blockFor}`, () => new LocalDdosStore(settings))
  const link = options.edge.redis

  const shared = link === null ? options.edge.shared : null
  if (shared !== null) {
    // A cluster worker without Redis: the primary counts for the whole gateway.
    const check = shared.ddosCheck(settings)
    return (request, reply, done) => {
      if (request.turnpike.exempt) {
        done()
        return
      }
      const left = check(clientIpOf(request))
      if (typeof left === 'number') settle(reply, left, done, metrics)
      else left.then((ms) => { settle(reply, ms, done, metrics) }, done)
    }
  }

  if (link === null) {
    return (request, reply, done) => {
      if (request.turnpike.exempt) done()
      else settle(reply, local.hit(clientIpOf(request)), done, metrics)
    }
  }

  const remote = redisDdosCheck(link, settings)
  return (request: FastifyRequest, reply: FastifyReply, done: Done) => {
    if (request.turnpike.exempt) {
      done()
      return
    }
    const ip = clientIpOf(request)
    const left = link.run('ddos check', async () => await remote(ip), () => local.hit(ip), request.turnpike)
    if (typeof left === 'number') settle(reply, left, done, metrics)
    else left.then((ms) => { settle(reply, ms, done, metrics) }, done)
  }
}
