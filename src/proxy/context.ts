// Everything the gateway learns about one request on its way through, in one typed
// object: `request.turnpike`. It is made once, in rewriteUrl (src/app.ts), where the
// edge verdict and the route-table lookup happen, and the first onRequest hook moves it
// from the raw request onto the Fastify request; from then on every hook, policy, user
// plugin, the forward path and the access log read and write it here, and nothing
// about a request lives in module maps or on symbols of the raw request.
//
// A class rather than an object literal: every request's context has the same shape
// (one hidden class for V8), and the header maps a user plugin fills are made on first
// use only, so a request that no plugin touches never pays for them.
import type { FastifyRequest } from 'fastify'
import type { CallDeadline } from '../grpc/deadline.js'
import type { RequestProtocol } from '../metrics.js'
import type { CompiledRoute } from '../routing/compiled-route.js'
import type { ClientCertificate } from '../tls/client-certificate.js'
import type { RequestTrace } from '../tracing/request-trace.js'
import type { Upstream } from '../upstream/upstream-set.js'
import type { Target } from '../upstream/target.js'
import type { OutgoingHeaders } from './headers.js'

export interface Identity {
  readonly kind: 'jwt' | 'apiKey'
  /** The JWT's `sub` or the API key's configured `id`. */
  readonly id: string
}

/** What the response cache must do in onSend with the upstream's answer (plugins/cache.ts). */
export type CachePending =
  | { readonly kind: 'store', readonly key: string, readonly own: ReadonlySet<string> }
  | { readonly kind: 'invalidate', readonly key: string }

export class RequestContext {
  /** Normalized path (no query): what the route table matched and what goes upstream. */
  readonly path: string
  /** Query string with its `?`, as the client sent it. */
  readonly query: string
  /** Lower-case host the route table matched on (absolute-form authority wins over Host). */
  readonly host: string
  /** How the client spoke: the `protocol` metrics label. */
  readonly protocol: RequestProtocol
  /** The edge's or the route table's refusal (400, 404, 405…), answered by the first hook. */
  readonly refusal: Error | null
  route: CompiledRoute | null = null
  params: Readonly<Record<string, string | undefined>> = NO_PARAMS
  upstream: Upstream | null = null
  target: Target | null = null
  /** process.hrtime.bigint() when the request reached the gateway. */
  readonly startedAt: bigint = process.hrtime.bigint()
  /** request.ip, computed once: Fastify re-parses X-Forwarded-For on every read. */
  clientIp: string | null = null
  /** Body bytes of a streamed (chunked) response, counted as they pass; null otherwise. */
  streamedBytes: number | null = null
  /** Set by the IP rules policy for an address on the exempt list: no rate limit, no DDoS block. */
  exempt = false
  /** Who the auth policy proved the caller to be; null on public routes and before auth. */
  identity: Identity | null = null
  /** The verified JWT's claims (for `keyBy: claim:NAME` and `hashOn: claim:NAME`); null otherwise. */
  claims: Readonly<Record<string, unknown>> | null = null
  /** The request's spans while tracing is on; null when it is off. */
  trace: RequestTrace | null = null
  /** Milliseconds this request has waited for Redis so far (its RedisBudget: at most redis.timeout in all). */
  redisWaited = 0
  /** With server.tls.clientCA: the client certificate that verified against it; null otherwise. */
  clientCert: ClientCertificate | null = null
  /** The response cache's plan for the upstream's answer; null when it has none. */
  cachePending: CachePending | null = null
  /** On a gRPC request: the grpc-status of the answer when known (the gateway's own, or the upstream's trailers). */
  grpcStatus: number | null = null
  /** The HTTP status a gateway-made gRPC answer (HTTP 200) stands for: what logs and metrics count. */
  answeredAs: number | null = null
  /** The headers the latest attempt sent upstream: a mirror's copy starts from them instead of building its own. */
  sentHeaders: OutgoingHeaders | null = null
  /** On a gRPC call: its deadline across attempts, made at the first one (grpc/deadline.ts); null until then and on other requests. */
  grpcDeadline: CallDeadline | null = null
  /** Its access line and counts were written: once per request, whichever of the finished or the unfinished response's paths came first. */
  recorded = false
  private upstreamExtra: Map<string, string> | null = null
  private downstreamExtra: Map<string, string> | null = null

  constructor (path: string, query: string, host: string, protocol: RequestProtocol, refusal: Error | null) {
    this.path = path
    this.query = query
    this.host = host
    this.protocol = protocol
    this.refusal = refusal
  }

  /** Headers to add to the upstream request (lower-case names; set after the route's own edits). */
  get upstreamHeaders (): Map<string, string> {
    return (this.upstreamExtra ??= new Map())
  }

  /** Headers to add to the response (lower-case names; over the upstream's own). */
  get downstreamHeaders (): Map<string, string> {
    return (this.downstreamExtra ??= new Map())
  }

  /** The upstream headers a plugin added; null when none did (no map was ever made). */
  get addedUpstreamHeaders (): ReadonlyMap<string, string> | null {
    return this.upstreamExtra
  }

  /** The response headers a plugin added; null when none did. */
  get addedDownstreamHeaders (): ReadonlyMap<string, string> | null {
    return this.downstreamExtra
  }
}

const NO_PARAMS: Readonly<Record<string, string | undefined>> = Object.freeze({})

/** The client address as server.trustProxy lets the gateway see it (cached per request). */
export function clientIpOf (request: FastifyRequest): string {
  return (request.turnpike.clientIp ??= request.ip)
}

declare module 'fastify' {
  interface FastifyRequest {
    turnpike: RequestContext
  }
}

/**
 * The one hand-over from raw request to Fastify request. rewriteUrl (src/app.ts) sees
 * only Node's IncomingMessage, and Fastify makes its request object after routing, so
 * the context made there rides on the raw request under this symbol until the first
 * onRequest hook moves it to `request.turnpike` (takeContext).
 */
const CARRIED = Symbol('turnpike.context')

interface Carrier { [CARRIED]?: RequestContext | undefined }

export function carryContext (req: object, context: RequestContext): void {
  (req as Carrier)[CARRIED] = context
}

/** The context rewriteUrl made for `req`, taken off it. */
export function takeContext (req: object): RequestContext {
  const context = (req as Carrier)[CARRIED] as RequestContext
  ;(req as Carrier)[CARRIED] = undefined
  return context
}
