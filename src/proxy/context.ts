// What the gateway learns about a request on its way through, kept on the Fastify
// request so hooks (access log, metrics, and later the policies) can read it.
import type { FastifyRequest } from 'fastify'
import type { RequestProtocol } from '../metrics.js'
import type { CompiledRoute } from '../routing/compiled-route.js'
import type { ClientCertificate } from '../tls/client-certificate.js'
import type { RequestTrace } from '../tracing/request-trace.js'
import type { Upstream } from '../upstream/upstream-set.js'
import type { Target } from '../upstream/target.js'

export interface RequestContext {
  /** Normalized path (no query). */
  path: string
  /** Query string with its `?`, as the client sent it. */
  query: string
  /** Lower-case host the route table matched on (absolute-form authority wins over Host). */
  host: string
  route: CompiledRoute | null
  params: Readonly<Record<string, string | undefined>>
  upstream: Upstream | null
  target: Target | null
  /** process.hrtime.bigint() when the request reached the gateway. */
  startedAt: bigint
  /** request.ip, computed once: Fastify re-parses X-Forwarded-For on every read. */
  clientIp: string | null
  /** Body bytes of a streamed (chunked) response, counted as they pass; null otherwise. */
  streamedBytes: number | null
  /** Set by the IP rules policy for an address on the exempt list: no rate limit, no DDoS block. */
  exempt: boolean
  /** Who the auth policy proved the caller to be; null on public routes and before auth. */
  identity: Identity | null
  /** The verified JWT's claims (for `keyBy: claim:NAME` and `hashOn: claim:NAME`); null otherwise. */
  claims: Readonly<Record<string, unknown>> | null
  /** The request's spans while tracing is on; null when it is off. */
  trace: RequestTrace | null
  /** Milliseconds this request has waited for Redis so far (its RedisBudget: at most redis.timeout in all). */
  redisWaited: number
  /** With server.tls.clientCA: the client certificate that verified against it; null otherwise. */
  clientCert: ClientCertificate | null
  /** How the client spoke: the `protocol` metrics label. */
  protocol: RequestProtocol
  /** On a gRPC request: the grpc-status of the answer when known (the gateway's own, or the upstream's trailers). */
  grpcStatus: number | null
  /** The HTTP status a gateway-made gRPC answer (HTTP 200) stands for: what logs and metrics count. */
  answeredAs: number | null
}

export interface Identity {
  readonly kind: 'jwt' | 'apiKey'
  /** The JWT's `sub` or the API key's configured `id`. */
  readonly id: string
}

/** The client address as server.trustProxy lets the gateway see it (cached per request). */
export function clientIpOf (request: FastifyRequest): string {
  return (request.turnpike.clientIp ??= request.ip)
}

declare module 'fastify' {
  interface FastifyRequest {
    turnpike: RequestContext
  }
}
