// CORS (`security.cors`, route `cors`) with @fastify/cors, registered into the scope
// of each route that has a CORS policy (its own, else `security.cors`), with that
// route's options compiled once; a request only picks one of three prepared objects.
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
//
// Two hooks, in two places of the route's chain. @fastify/cors runs first of all the
// route's policies, so that an answer another policy gives before CORS's turn (403 from
// the IP rules, 429 from DDoS or the rate limit) carries the CORS headers too and the
// page can read the refusal and its Retry-After. It runs with `preflightContinue`: it
// writes a preflight's headers but does not answer it, and `corsPreflight` answers it
// (204) at CORS's place in the order, after the rate limit, before auth: a blocked
// address's preflight is still refused, and no preflight is asked for credentials.
import type { IncomingHttpHeaders } from 'node:http'
import fastifyCors, { type FastifyCorsOptions, type FastifyCorsOptionsDelegateCallback } from '@fastify/cors'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CorsConfig, RouteConfig } from '../src/config/schema.js'
import type { PolicyOptions, RoutePolicy } from '../src/routing/route-policy.js'
import type { CompiledRoute } from '../src/routing/compiled-route.js'
import type { LookupResult, RouteTable } from '../src/routing/route-table.js'

/** The CORS settings a route runs with: its own, else `security.cors`; none for `cors: false`. */
export function corsConfigOf (route: Readonly<RouteConfig>, global: CorsConfig | undefined): CorsConfig | undefined {
  return route.cors === false ? undefined : route.cors ?? global
}

/** The part of a request (Fastify's or the raw one) that says whether it is a preflight. */
interface Asking { readonly method?: string | undefined, readonly headers: IncomingHttpHeaders }

function isPreflight (request: Asking): boolean {
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
  request: Asking, table: RouteTable, global: CorsConfig | undefined, host: string, path: string
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

interface CorsPolicy {
  readonly allows: OriginMatcher
  /** For an allowed preflight: @fastify/cors answers it (204). */
  readonly preflight: FastifyCorsOptions
  /** For any other request from an allowed origin: headers added, request proxied. */
  readonly actual: FastifyCorsOptions
}

/** For requests without an allowed Origin: no CORS headers (only `Vary: Origin`). */
const DENIED: FastifyCorsOptions = Object.freeze({ origin: false })

function compilePolicy (route: CompiledRoute, cors: CorsConfig): CorsPolicy {
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
    preflightContinue: true,
    optionsSuccessStatus: 204
  })
  return { allows: compileOrigins(cors.origins, cors.credentials), preflight, actual: Object.freeze({ ...preflight, preflight: false }) }
}

function refusePreflight (reply: FastifyReply): void {
  void reply.code(204).header('vary', 'Origin').header('content-length', '0').send()
}

function hasCors (options: PolicyOptions): boolean {
  const global = options.config.security?.cors
  return options.table.routes.some((route) => corsConfigOf(route.config, global) !== undefined)
}

/** @fastify/cors in the route's scope, first of its policies: the CORS headers on every answer. */
export function prepareCorsHeaders (options: PolicyOptions): RoutePolicy | null {
  if (!hasCors(options)) return null
  const global = options.config.security?.cors
  return async (scope, route) => {
    const cors = corsConfigOf(route.config, global)
    if (cors === undefined) return
    const policy = compilePolicy(route, cors)
    const delegator: FastifyCorsOptionsDelegateCallback = (request, callback) => {
      const origin = request.headers.origin
      if (origin === undefined || !policy.allows(origin)) callback(null, DENIED)
      else callback(null, request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined ? policy.preflight : policy.actual)
    }
    // @fastify/cors also adds an `OPTIONS *` route, which lands under this scope's
    // internal prefix where no request is ever routed: the route's own OPTIONS is ours.
    await scope.register(fastifyCors, { hook: 'onRequest', delegator })
  }
}

/** At CORS's place in the order: answers the preflight @fastify/cors prepared, or refuses a foreign one. */
export function prepareCorsPreflight (options: PolicyOptions): RoutePolicy | null {
  if (!hasCors(options)) return null
  const global = options.config.security?.cors
  return (scope, route) => {
    if (corsConfigOf(route.config, global) === undefined) return
    scope.addHook('onRequest', (request, reply, done) => {
      if (!isPreflight(request)) done()
      // Set by @fastify/cors for a preflight it allowed (preflightContinue: it left the answer to us).
      else if ((request as FastifyRequest & { corsPreflightEnabled?: boolean }).corsPreflightEnabled === true) void reply.code(204).header('content-length', '0').send()
      else refusePreflight(reply)
    })
  }
}
