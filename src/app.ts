// Builds one config generation: a Fastify app (never listening itself) holding the
// route table and upstreams of one frozen config. The long-lived listener in server.ts
// hands each request to the current generation's handler, so a reload is one
// reference swap, and requests already inside an older generation finish there.
//
// Each config route is its own encapsulated Fastify scope holding exactly the policies
// that route uses (src/policies.ts) and then the route's extensions (user plugins,
// src/routing/route-extensions.ts). Routing stays the gateway's own (src/routing/
// route-table.ts: host and header matches, specificity, 404/405, preflights), and it
// happens where the edge verdict is made, in Fastify's rewriteUrl: the request's URL is
// rewritten to the internal path that only its route's scope registers
// (`/_turnpike/route/<index>`), so find-my-way dispatches to that scope in one static
// look-up and the request runs that scope's hook list and nothing else. A refused
// request (bad edge verdict, no route, wrong method) goes to a path no scope has, where
// only the root's hooks run and the first of them answers the refusal. The client's
// own path and query stay in the request's context (`request.turnpike.path`, `.query`)
// for forwarding, the cache key and the logs; no client can reach an internal path,
// since every URL is rewritten.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomUUID } from 'node:crypto'
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { GatewayConfig } from './config/schema.js'
import { errorBody } from './error-body.js'
import { MethodNotAllowedError, NoRouteError } from './errors.js'
import { NO_ROUTE_LABEL, type GatewayMetrics } from './metrics.js'
import type { ForwardSettings } from './proxy/attempt.js'
import { carryContext, clientIpOf, RequestContext, takeContext } from './proxy/context.js'
import { restoreContentType } from './proxy/content-type.js'
import { inspectRequest, type EdgeVerdict } from './proxy/edge.js'
import { forward } from './proxy/forward.js'
import { compileTrust } from './proxy/trust.js'
import { isUpgrade, tunnel } from './proxy/websocket.js'
import { DEFAULT_METHODS } from './routing/compiled-route.js'
import { RouteTable } from './routing/route-table.js'
import { bindRoutes } from './routing/route-upstreams.js'
import type { TargetRegistry } from './upstream/registry.js'
import { UpstreamSet, type Upstream } from './upstream/upstream-set.js'
import type { EdgeState } from './edge/state.js'
import { preparePolicies } from './policies.js'
import type { PolicyOptions } from './routing/route-policy.js'
import type { RouteExtensions } from './routing/route-extensions.js'
import type { CompiledRoute } from './routing/compiled-route.js'
import { RouteMeter } from './routing/route-meter.js'
import { accessFields } from './access-line.js'
import type { LineSink } from './log-sink.js'
import type { Tracing } from './tracing/provider.js'
import { clientCertificateOf } from './tls/client-certificate.js'
import { answerGrpc } from './grpc/answer.js'
import { protocolOf } from './grpc/status.js'
import securityHeaders from '../plugins/security-headers.js'
import { routePreflight } from '../plugins/cors.js'

const VALID_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/

/** The internal path only `route`'s scope registers (see the top of this file). */
function routeUrl (route: CompiledRoute): string {
  return `/_turnpike/route/${route.index}`
}

/** Registered by no scope: a refused request meets the root's hooks only. */
const REFUSED_URL = '/_turnpike/refused'

/** Process state a generation reads but does not own. */
export interface Lifecycle {
  /** True once a shutdown has begun. */
  readonly draining: boolean
}

export interface AppOptions {
  readonly config: Readonly<GatewayConfig>
  readonly registry: TargetRegistry
  readonly logger: Logger
  readonly lifecycle: Lifecycle
  readonly edge: EdgeState
  /** The gateway's metrics: they outlive the generation. */
  readonly metrics: GatewayMetrics
  /** This generation's tracer provider; null while tracing is off. */
  readonly tracing?: Tracing | null
  /** The process's /stats collector, fed one call per finished request. */
  readonly stats?: { record (route: string, status: number, seconds: number): void }
  /** Called for each route's scope after its built-in policies (user plugins join here). */
  readonly routeExtensions?: RouteExtensions
  /** Where `logger` writes, when it is the gateway's own: access-log lines go there directly. */
  readonly logSink?: LineSink | null
}

export interface GenerationApp {
  readonly app: FastifyInstance
  readonly table: RouteTable
  readonly upstreams: UpstreamSet
  /** Fastify's request handler for this generation. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void
}

function requestId (req: IncomingMessage): string {
  const incoming = req.headers['x-request-id']
  return typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID()
}

function answerError (err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500
  const ours = err.code?.startsWith('TURNPIKE_') === true || status < 500
  if (status >= 500 && !ours) request.log.error({ err, reqId: request.id }, 'request failed')
  // The reason of a 502 (refused, reset, a TLS verification failure such as
  // UNABLE_TO_VERIFY_LEAF_SIGNATURE) belongs in the log, not only in the client's answer.
  if (status === 502) request.log.warn({ reqId: request.id, route: request.turnpike?.route?.name, target: request.turnpike?.target?.origin, reason: err.message }, 'upstream request failed')
  const allow = (err as { allow?: readonly string[] }).allow
  if (allow !== undefined) reply.header('allow', allow.join(', '))
  reply.header('x-request-id', request.id)
  if (request.turnpike?.protocol === 'grpc') {
    answerGrpc(request, reply, status, ours ? err.message : 'Internal Server Error')
    return
  }
  // An HTTP/2 stream has no connection of its own to close.
  const http1 = request.raw.httpVersionMajor !== 2
  if (http1 && (status === 400 || status === 413 || status === 414 || status === 431 || status === 505)) reply.header('connection', 'close')
  void reply.code(status).type('application/json; charset=utf-8')
    .send(errorBody(status, err.code ?? 'TURNPIKE_INTERNAL', ours ? err.message : 'Internal Server Error', request.id))
}

export async function buildApp (options: AppOptions): Promise<GenerationApp> {
  const { config, registry, logger, lifecycle, edge, stats, metrics } = options
  const logSink = options.logSink ?? null
  const server = config.server
  const trust = compileTrust(server.trustProxy)
  const table = new RouteTable(config.routes)
  const accessLog = config.logging.accessLog
  // Captured once: with tracing off the request path checks this null and nothing else.
  const tracing = options.tracing ?? null
  const mutualTls = server.tls?.clientCA !== undefined
  const settings: ForwardSettings = {
    bodyLimit: server.bodyLimit,
    trust,
    accessLog,
    draining: () => lifecycle.draining,
    identityHeader: config.auth?.identityHeader?.toLowerCase(),
    metrics,
    // As nginx logs it: the status sent, or 499 when the client left before any answer.
    closedUnfinished: (request, reply) => {
      record(request, reply.raw.headersSent ? (request.turnpike.answeredAs ?? reply.raw.statusCode) : 499, true)
    }
  }
  let handle: GenerationApp['handle'] | undefined

  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    genReqId: requestId,
    trustProxy: trust,
    // No pino child per request: the access log and error logs carry reqId themselves,
    // and a child logger per request costs the data plane measurable throughput.
    childLoggerFactory: (logger) => logger,
    return503OnClosing: false,
    exposeHeadRoutes: false,
    // Runs before Fastify routes: edge checks and normalization (src/proxy/edge.ts),
    // then the route table; the URL becomes the matched route's internal path.
    rewriteUrl (req) {
      const context = routeRequest(req, inspectRequest(req, server.maxHeaderCount, server.bodyLimit, server.maxHeaderSize))
      carryContext(req, context)
      return context.route === null ? REFUSED_URL : (urls[context.route.index] as string)
    },
    serverFactory (handler) {
      handle = handler
      return createServer() // never listens: server.ts owns the sockets
    }
  })

  app.decorateRequest('turnpike', null as never)
  app.addHook('onClose', (_instance, done) => {
    for (const bound of bindings.values()) bound.mirror?.close()
    done()
  })
  // Bodies stream to the upstream untouched: no parsing, no buffering.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (request, _payload, done) => {
    restoreContentType(request.raw) // see src/proxy/content-type.ts
    done(null)
  })
  app.setErrorHandler(answerError)

  const policyOptions: PolicyOptions = { config, edge, table, logger, metrics }
  const urls = table.routes.map(routeUrl)
  const cors = config.security?.cors

  /** The request's context: the edge verdict and the matched route, or why there is none. */
  const routeRequest = (req: IncomingMessage, verdict: EdgeVerdict): RequestContext => {
    const protocol = protocolOf(req)
    if (verdict.error !== null) return new RequestContext(verdict.path, verdict.query, verdict.host, protocol, verdict.error)
    const method = req.method as string
    let found = table.lookup(method, verdict.host, verdict.path, req.headers)
    if (found.kind === 'method-not-allowed' && method === 'OPTIONS') {
      found = routePreflight(req, table, cors, verdict.host, verdict.path) ?? found
    }
    if (found.kind === 'not-found') return new RequestContext(verdict.path, verdict.query, verdict.host, protocol, new NoRouteError(method, verdict.path))
    if (found.kind === 'method-not-allowed') {
      return new RequestContext(verdict.path, verdict.query, verdict.host, protocol, Object.assign(new MethodNotAllowedError(method), { allow: found.allow }))
    }
    const context = new RequestContext(verdict.path, verdict.query, verdict.host, protocol, null)
    context.route = found.route
    context.params = found.params
    context.upstream = bindings.get(found.route.name)?.upstream ?? null
    return context
  }

  // First, so that every answer carries them, the gateway's own errors included.
  await app.register(securityHeaders, policyOptions)

  // Hooks on the hot path are callback-style: an async hook costs a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    const context = takeContext(request.raw)
    request.turnpike = context
    request.raw.url = context.path // request.url: the client's normalized path, not the internal one
    if (mutualTls) context.clientCert = clientCertificateOf(request.raw.socket)
    if (tracing !== null) context.trace = tracing.startRequest(request, clientIpOf(request))
    done(context.refusal ?? undefined)
  })

  // During a drain every response not yet started closes its connection, so a
  // keep-alive client reconnects (and is refused) instead of reusing a socket that
  // the drain is about to close under its next request (an HTTP/2 stream has no
  // connection of its own: the drain's GOAWAY does that, src/server.ts).
  // X-Request-Id goes on here for every answer sent through Fastify (the gateway's own,
  // a cache hit, a body-policy route); the relay writes it into a proxied answer's head
  // itself, which spares the plain route a reply header to merge.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id)
    if (lifecycle.draining && request.raw.httpVersionMajor !== 2) reply.header('connection', 'close')
    done(null, payload)
  })

  // One access-log line and one metrics observation per request. A WebSocket tunnel is
  // hijacked from Fastify, so it is recorded when its client socket closes instead.
  const meters = table.routes.map((route) => new RouteMeter(route, logger, metrics, logSink))
  const record = (request: FastifyRequest, status: number, incomplete = false): void => {
    const ctx = request.turnpike
    if (ctx.recorded) return
    ctx.recorded = true
    const seconds = Number(process.hrtime.bigint() - ctx.startedAt) / 1e9
    const route = ctx.route
    const meter = route === null ? undefined : meters[route.index]
    const routeName = route?.name ?? NO_ROUTE_LABEL
    // A split route's counts also say which upstream took each request.
    if (meter !== undefined && route?.upstream !== undefined) meter.observe(request.method, status, seconds, ctx.protocol)
    else metrics.observeRequest(routeName, request.method, status, seconds, route === null ? undefined : ctx.upstream?.name, ctx.protocol)
    if (ctx.trace !== null) ctx.trace.finish(status, route)
    stats?.record(routeName, status, seconds)
    if (!accessLog) return
    // The route's own line has route (and upstream) bound already; a split route and a
    // refused request name them here.
    if (meter !== undefined && route?.upstream !== undefined) {
      if (meter.line !== null) meter.line.write(request, status, seconds, incomplete)
      else meter.log.info(accessFields(request, status, seconds, incomplete), 'access')
    } else {
      request.log.info({ ...accessFields(request, status, seconds, incomplete), route: routeName, upstream: ctx.upstream?.name }, 'access')
    }
  }
  const recordTunnel = (request: FastifyRequest): void => {
    const socket = request.raw.socket
    const closed = metrics.openWebSocket(request.turnpike.route?.name ?? NO_ROUTE_LABEL)
    // The server span is the handshake: it ends with the 101, not with the tunnel.
    request.turnpike.trace?.finish(101, request.turnpike.route)
    const done = (): void => {
      closed()
      request.turnpike.streamedBytes = socket.bytesWritten // everything sent down the tunnel
      record(request, 101)
    }
    if (socket.destroyed) done()
    else socket.once('close', done)
  }

  app.addHook('onResponse', (request, reply, done) => {
    if (request.turnpike !== null) {
      if (request.turnpike.streamedBytes === null) request.turnpike.streamedBytes = Number(reply.getHeader('content-length') ?? 0)
      // An HTTP/2 response emits 'finish' when its stream closes, finished or not: one
      // whose end() never came (cut, or the client reset it) is incomplete.
      record(request, request.turnpike.answeredAs ?? reply.statusCode, request.raw.httpVersionMajor === 2 && !reply.raw.writableEnded)
    }
    done()
  })

  const proxyTunnel = async (request: FastifyRequest, reply: FastifyReply, route: CompiledRoute, upstream: Upstream): Promise<FastifyReply | undefined> => {
    const answered = await tunnel(request, reply, route, upstream, settings)
    if (answered === undefined) recordTunnel(request) // the 101 went out: the tunnel is the response
    return answered
  }

  // Not an async function: a plain route hands Fastify the forward's own promise, with
  // no promise of its own around it.
  const proxy = (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined | void> => {
    const route = request.turnpike.route as CompiledRoute
    const bound = bindings.get(route.name)
    // A split chooses here, after auth, so `stickyBy: claim:NAME` can read the claims.
    const upstream = request.turnpike.upstream ?? (request.turnpike.upstream = bound?.split?.choose(request) ?? null)
    if (upstream === null) return Promise.reject(new NoRouteError(request.method, request.turnpike.path))
    if (route.config.websocket && isUpgrade(request)) return proxyTunnel(request, reply, route, upstream)
    const forwarded = bound?.mirror === undefined
      ? forward(request, reply, route, upstream, settings)
      : bound.mirror.forward(request, reply, route, upstream, settings)
    // On a body-policy route the body is still on its way through reply.send (a
    // compressor may hold the head back): resolving with the reply keeps Fastify from
    // taking the handler's undefined for an empty answer of its own.
    return route.bodyPolicies ? forwarded.then(() => reply) : forwarded
  }

  // One encapsulated scope per config route: its policies, its extensions, its route.
  const addPolicies = await preparePolicies(policyOptions)
  const extensions = options.routeExtensions
  for (const route of table.routes) {
    await app.register(async function routeScope (scope) {
      await addPolicies(scope, route)
      if (extensions !== undefined) await extensions(scope, route)
      // Every method the table may hand this route (it has already said 404 or 405
      // to the others); OPTIONS for the preflights CORS answers on the route's behalf.
      scope.route({ method: [...DEFAULT_METHODS], url: '/', handler: proxy })
    }, { prefix: urls[route.index] as string })
  }
  // Refused requests reach here after the root hooks, which have already answered.
  app.setNotFoundHandler(async (request) => {
    throw new NoRouteError(request.method, request.turnpike?.path ?? '/')
  })

  await app.ready()
  if (handle === undefined) throw new Error('fastify did not hand over its request handler')
  // Last, when nothing above can fail any more: a generation that never starts must not
  // hold targets (their pools and checks) or keep a discovery looking names up. The
  // hooks above only read these once requests arrive, after this function returned.
  const upstreams = new UpstreamSet(config, registry, logger)
  const bindings = bindRoutes(table.routes, upstreams)
  await upstreams.ready() // the first DNS answer of discovered upstreams, so they start with targets
  return { app: app as unknown as FastifyInstance, table, upstreams, handle }
}
