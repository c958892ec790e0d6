// CORS (`security.cors`, route `cors`) with @fastify/cors and its per-request
// delegator: every gateway route shares one Fastify route, so the policy is chosen per
// request from `request.turnpike.route`. Each route's options are compiled once here;
// a request only picks one of three prepared objects.
//
// - Origins: exact (`https://app.example.com`), `*`, or a one-label wildcard
//   (`https://*.example.com`, or `*.example.com` for http and https). Matched by string
//   comparison, never by a regular expression built from the config.
// - `credentials: true` with `*` echoes the caller's origin (with `Vary: Origin`) instead
//   of `*`, which browsers refuse together with credentials; the origin `null` (sandboxed
//   frames, file://) is never echoed with credentials.
// - An allowed preflight (OPTIONS + Origin + Access-Control-Request-Method) is answered
//   here with 204 and never reaches the upstream; a preflight from any other origin gets
//   a 204 without allow headers. An OPTIONS without those headers is proxied as before.
// - A foreign origin's ordinary request is still proxied, without CORS headers.
import fp from 'fastify-plugin'
import fastifyCors, { type FastifyCorsOptions, type FastifyCorsOptionsDelegateCallback } from '@fastify/cors'
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import type { CorsConfig, RouteConfig } from '../src/config/schema.js'
import type { PolicyOptions } from '../src/policies.js'
import { mergeVary } from '../src/proxy/vary.js'
import type { CompiledRoute } from '../src/routing/compiled-route.js'
import type { LookupResult, RouteTable } from '../src/routing/route-table.js'

/** The CORS settings a route runs with: its own, else `security.cors`; none for `cors: false`. */
export function corsConfigOf (route: Readonly<RouteConfig>, global: CorsConfig | undefined): CorsConfig | undefined {
  return route.cors === false ? undefined : route.cors ?? global
}

function isPreflight (request: FastifyRequest): boolean {
  return request.method === 'OPTIONS' &&
    request.headers.origin !== undefined &&
    request.headers['access-control-request-method'] !== undefined
}

/**
 * A preflight asks about the request that follows it, so when no route takes OPTIONS on
 * its path it is routed as that request, provided that route has a CORS policy (which
 * then answers it: it never reaches the upstream). Undefined: route it as usual.
 */
export function routePreflight (
  request: FastifyRequest, table: RouteTable, global: CorsConfig | undefined, host: string, path: string
): LookupResult | undefined {
  if (!isPreflight(request)) return undefined
  const asked = request.headers['access-control-request-method'] as string
  const found = table.lookup(asked, host, path, request.headers)
  return found.kind === 'route' && corsConfigOf(found.route.config, global) !== undefined ? found : undefined
}

/** Tells whether a request's Origin is on a policy's list. */
export type OriginMatcher = (origin: string) => boolean

/** Compiles `origins` to a matcher of plain string comparisons. */
export function compileOrigins (origins: readonly string[], credentials: boolean): OriginMatcher {
  if (origins.includes('*')) return credentials ? (origin) => origin !== 'null' : () => true
  const exact = new Set<string>()
  const wildcards: Array<{ schemes: readonly string[], suffix: string }> = []
  for (const entry of origins.map((o) => o.toLowerCase().replace(/\/+$/, ''))) {
    const star = entry.indexOf('*.')
    if (star === 0) wildcards.push({ schemes: ['http://', 'https://'], suffix: entry.slice(1) })
    else if (star > 3 && entry.endsWith('://', star)) wildcards.push({ schemes: [entry.slice(0, star)], suffix: entry.slice(star + 1) })
    else exact.add(entry)
  }
  return (origin) => {
    const lower = origin.toLowerCase()
    if (exact.has(lower)) return true
    for (const { schemes, suffix } of wildcards) {
      if (!lower.endsWith(suffix)) continue
      for (const scheme of schemes) {
        if (lower.startsWith(scheme) && isOneLabel(lower, scheme.length, lower.length - suffix.length)) return true
      }
    }
    return false
  }
}

/** True when origin[from, to) is one non-empty DNS label: letters, digits, hyphens. */
function isOneLabel (origin: string, from: number, to: number): boolean {
  if (to <= from) return false
  for (let i = from; i < to; i++) {
    const c = origin.charCodeAt(i)
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45)) return false
  }
  return true
}

interface RoutePolicy {
  readonly allows: OriginMatcher
  /** For an allowed preflight: @fastify/cors answers it (204). */
  readonly preflight: FastifyCorsOptions
  /** For any other request from an allowed origin: headers added, request proxied. */
  readonly actual: FastifyCorsOptions
}

/** For requests without an allowed Origin: no CORS headers (only `Vary: Origin`). */
const DENIED: FastifyCorsOptions = Object.freeze({ origin: false })

function compilePolicy (route: CompiledRoute, cors: CorsConfig): RoutePolicy {
  const anyOrigin = cors.origins.includes('*')
  // Keys left out rather than undefined: @fastify/cors spreads these over its defaults
  // (null), and an undefined one would be sent as the text "undefined".
  const preflight: FastifyCorsOptions = Object.freeze({
    // `true` echoes the request's origin; `*` only where no credentials are involved.
    origin: anyOrigin && !cors.credentials ? '*' : true,
    credentials: cors.credentials,
    methods: (cors.methods ?? route.methods).join(', '),
    // Without allowedHeaders, @fastify/cors echoes Access-Control-Request-Headers (and varies on it).
    ...(cors.allowedHeaders === undefined ? {} : { allowedHeaders: cors.allowedHeaders.join(', ') }),
    ...(cors.exposedHeaders === undefined ? {} : { exposedHeaders: cors.exposedHeaders.join(', ') }),
    ...(cors.maxAge === undefined ? {} : { maxAge: Math.floor(cors.maxAge / 1000) }),
    preflight: true,
    strictPreflight: true,
    preflightContinue: false,
    optionsSuccessStatus: 204
  })
  return { allows: compileOrigins(cors.origins, cors.credentials), preflight, actual: Object.freeze({ ...preflight, preflight: false }) }
}

/**
 * @fastify/cors adds its hook and also an `OPTIONS *` route, so that Fastify's router
 * accepts preflights. The gateway's catch-all route accepts OPTIONS already, and a
 * second `OPTIONS *` is a duplicate route (FST_ERR_DUPLICATED_ROUTE). So the plugin is
 * run against a stand-in that keeps the hook it adds and drops the route.
 */
function corsHook (delegator: FastifyCorsOptionsDelegateCallback): onRequestHookHandler {
  let hook: onRequestHookHandler | undefined
  const standIn = {
    decorateRequest () {},
    addHook (name: string, fn: onRequestHookHandler) { if (name === 'onRequest') hook = fn },
    options () {}
  }
  const plugin = fastifyCors as unknown as (instance: unknown, opts: FastifyCorsOptions, done: (err?: Error) => void) => void
  plugin(standIn, { delegator, hook: 'onRequest' }, (err) => { if (err !== undefined) throw err })
  if (hook === undefined) throw new Error('@fastify/cors added no onRequest hook')
  return hook
}

function refusePreflight (reply: FastifyReply): void {
  void reply.code(204).header('vary', 'Origin').header('content-length', '0').send()
}

async function corsPolicy (scope: FastifyInstance, options: PolicyOptions): Promise<void> {
  const global = options.config.security?.cors
  const policies = options.table.routes.map((route) => {
    const cors = corsConfigOf(route.config, global)
    return cors === undefined ? null : compilePolicy(route, cors)
  })
  if (policies.every((p) => p === null)) return

  const policyOf = (request: FastifyRequest): RoutePolicy | null =>
    policies[(request.turnpike.route as CompiledRoute).index] ?? null

  const delegator: FastifyCorsOptionsDelegateCallback = (request, callback) => {
    const policy = policyOf(request) as RoutePolicy
    const origin = request.headers.origin
    if (origin === undefined || !policy.allows(origin)) callback(null, DENIED)
    else callback(null, request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined ? policy.preflight : policy.actual)
  }
  const handleCors = corsHook(delegator)

  // @fastify/cors marks the requests whose preflight it answered (read by its own route only).
  scope.decorateRequest('corsPreflightEnabled', false)
  scope.addHook('onRequest', function cors (request, reply, done) {
    const policy = policyOf(request)
    if (policy === null) {
      done()
      return
    }
    if (isPreflight(request) && !policy.allows(request.headers.origin as string)) {
      refusePreflight(reply)
      return
    }
    handleCors.call(this, request, reply, done)
  })

  // A request refused before the CORS hook ran (IP rules, DDoS, rate limit: 403, 429)
  // still gets the CORS headers, so the page can read the refusal and its Retry-After.
  scope.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode >= 400 && (request.turnpike?.route ?? null) !== null && !reply.hasHeader('access-control-allow-origin')) {
      const policy = policyOf(request)
      const origin = request.headers.origin
      if (policy !== null && origin !== undefined && policy.allows(origin)) addActualHeaders(reply, policy.actual, origin)
    }
    done(null, payload)
  })
}

/** What @fastify/cors adds to an actual (not preflight) request from an allowed origin. */
function addActualHeaders (reply: FastifyReply, options: FastifyCorsOptions, origin: string): void {
  reply.header('access-control-allow-origin', options.origin === '*' ? '*' : origin)
  if (options.credentials === true) reply.header('access-control-allow-credentials', 'true')
  if (typeof options.exposedHeaders === 'string') reply.header('access-control-expose-headers', options.exposedHeaders)
  reply.header('vary', mergeVary(reply.getHeader('vary'), 'Origin'))
}

export default fp(corsPolicy, { name: 'turnpike-cors', fastify: '5.x' })
