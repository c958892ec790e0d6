// What every forwarding attempt (plain HTTP or WebSocket) starts with: a target from
// the balancer, and the upstream request headers for it.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { CircuitOpenError, NoHealthyTargetError } from '../errors.js'
import type { CompiledRoute } from '../routing/compiled-route.js'
import type { Target } from '../upstream/target.js'
import type { Upstream } from '../upstream/upstream-set.js'
import { plainAddress, upstreamRequestHeaders, type OutgoingHeaders } from './headers.js'
import type { GatewayMetrics } from '../metrics.js'
import type { TrustFunction } from './trust.js'
import { clientIpOf } from './context.js'

export interface ForwardSettings {
  readonly bodyLimit: number
  readonly trust: TrustFunction
  readonly accessLog: boolean
  /** True once responses should close their connection (a drain has begun). */
  readonly draining: () => boolean
  /** Lower-case `auth.identityHeader`: the caller's identity goes upstream in it; never the client's own. */
  readonly identityHeader: string | undefined
  /** The gateway's metrics (retries, mirrored copies, upstream latency). */
  readonly metrics: GatewayMetrics
  /**
   * Writes the access line and counts of a response that closed before it finished (the
   * upstream cut it, or the client left): Fastify runs onResponse only for a finished one.
   */
  readonly closedUnfinished: (request: FastifyRequest, reply: FastifyReply) => void
}

/** A target for this request; a 503 with Retry-After when the upstream has none. */
export function pickTarget (request: FastifyRequest, reply: FastifyReply, upstream: Upstream): Target {
  const hashKey = upstream.hashKey === undefined ? undefined : upstream.hashKey(request)
  const target = upstream.balancer.pick({ clientIp: clientIpOf(request), hashKey })
  if (target === undefined) throw noTarget(reply, upstream)
  request.turnpike.target = target
  return target
}

/**
 * The 503 for an upstream with no target in rotation. When circuit breakers are among
 * the reasons, Retry-After is the time until the earliest one lets a probe through.
 */
export function noTarget (reply: FastifyReply, upstream: Upstream): Error {
  let wait = -1
  const now = Date.now()
  for (const target of upstream.targets) {
    const breaker = target.state.breaker
    if (breaker === undefined || breaker.state === 'closed') continue
    const ms = breaker.msUntilHalfOpen(now)
    if (wait === -1 || ms < wait) wait = ms
  }
  if (wait === -1) {
    reply.header('retry-after', '5')
    return new NoHealthyTargetError(upstream.name)
  }
  reply.header('retry-after', String(Math.max(1, Math.ceil(wait / 1000))))
  return new CircuitOpenError(upstream.name)
}

export function headersFor (request: FastifyRequest, route: CompiledRoute, target: Target, settings: ForwardSettings): OutgoingHeaders {
  const req = request.raw
  const peer = plainAddress(req.socket.remoteAddress)
  const trust = settings.trust
  const headers = upstreamRequestHeaders(req, {
    peer,
    peerTrusted: trust(peer, 0),
    clientIp: clientIpOf(request),
    proto: request.protocol,
    forwardedHost: request.host,
    requestId: request.id,
    upstreamHost: route.config.preserveHost ? (req.headers.host ?? target.host) : target.host
  }, route.requestHeaders)
  // gRPC servers may insist on `te: trailers` (a hop-by-hop header, removed above).
  if (request.turnpike.protocol === 'grpc') headers.te = 'trailers'
  const identityHeader = settings.identityHeader
  if (identityHeader !== undefined) {
    if (headers[identityHeader] !== undefined) delete headers[identityHeader]
    const identity = request.turnpike.identity
    if (identity !== null) headers[identityHeader] = identity.id
  }
  // Last, so a plugin's word wins: null unless some plugin added one (no map was made).
  const added = request.turnpike.addedUpstreamHeaders
  if (added !== null) for (const [name, value] of added) headers[name] = value
  return headers
}

/** The path and query to send upstream. */
export function upstreamPath (request: FastifyRequest, route: CompiledRoute): string {
  return route.toUpstreamPath(request.turnpike.path) + request.turnpike.query
}
