// One route of gateway.yaml made ready for the hot path: everything that can be worked
// out once per config generation (methods, the literal prefix, header edits, the
// upstream path function) is worked out here, so a request only applies it.
import type { RouteConfig } from '../config/schema.js'
import { RetryPolicy } from '../upstream/retry.js'
import { compileHeaderEdit, type HeaderEdit } from '../proxy/headers.js'

/** Methods a route without `match.methods` accepts. TRACE and CONNECT are never proxied. */
export const DEFAULT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const

export interface CompiledRoute {
  readonly name: string
  /** Position in the file: the last tie-breaker. */
  readonly index: number
  readonly config: Readonly<RouteConfig>
  /** The route's upstream; undefined on a `split` route. */
  readonly upstream: string | undefined
  readonly methods: readonly string[]
  /** The path up to the first `:param` or `*` segment, without a trailing slash. */
  readonly literalPrefix: string
  /** True when the path has neither params nor a wildcard. */
  readonly isLiteral: boolean
  readonly requestHeaders: HeaderEdit
  readonly responseHeaders: HeaderEdit
  /** The route's retry policy; undefined when it does not retry (the plain hot path). */
  readonly retry: RetryPolicy | undefined
  /**
   * True when a policy needs the response body (compression, cache): the upstream's
   * answer then goes through reply.send and Fastify's onSend hooks instead of straight
   * onto the socket (src/proxy/response-relay.ts).
   */
  readonly bodyPolicies: boolean
  /** The path to send upstream for a normalized request path (query not included). */
  toUpstreamPath (path: string): string
}

/**
 * Headers with which a client asks the backend for another path or method than the
 * request line's (IIS URL Rewrite, some Symfony and Spring set-ups honour them). The
 * gateway routed and authorized the request line, so they are removed before
 * forwarding unless the route's `allowOverrideHeaders` names them.
 */
export const OVERRIDE_HEADERS = ['x-original-url', 'x-rewrite-url', 'x-http-method-override', 'x-method-override'] as const

/** The literal part of a pattern: `/api/users/:id` → `/api/users`, `/` → ''. */
export function literalPrefixOf (pattern: string): string {
  const segments = pattern.split('/')
  const literal: string[] = []
  for (const segment of segments) {
    if (segment.startsWith(':') || segment.includes('*')) break
    literal.push(segment)
  }
  return literal.join('/').replace(/\/+$/, '')
}

function joinPath (base: string, rest: string): string {
  if (rest === '' || rest === '/') return base === '' ? '/' : (rest === '/' && !base.endsWith('/') ? base + '/' : base)
  return base.endsWith('/') ? base + rest.slice(1) : base + rest
}

export function compileRoute (config: Readonly<RouteConfig>, index: number): CompiledRoute {
  const path = config.match.path
  const literalPrefix = literalPrefixOf(path)
  const isLiteral = !/(^|\/)(:|\*)|\*/.test(path)
  const methods = new Set<string>(config.match.methods ?? DEFAULT_METHODS)
  if (methods.has('GET')) methods.add('HEAD') // as nginx and Fastify: GET implies HEAD
  const rewrite = config.rewrite
  let toUpstreamPath: (p: string) => string
  if (rewrite !== undefined) {
    toUpstreamPath = (p) => joinPath(rewrite, p.slice(literalPrefix.length))
  } else if (config.stripPrefix) {
    toUpstreamPath = (p) => {
      const rest = p.slice(literalPrefix.length)
      return rest === '' ? '/' : rest
    }
  } else {
    toUpstreamPath = (p) => p
  }
  // Worked out here, so the hot path only deletes a few names as part of the route's own edits.
  const allowed = new Set(config.allowOverrideHeaders.map((h) => h.toLowerCase()))
  const overrides = OVERRIDE_HEADERS.filter((h) => !allowed.has(h))
  return Object.freeze({
    name: config.name,
    index,
    config,
    upstream: config.upstream,
    methods: Object.freeze([...methods]),
    literalPrefix,
    isLiteral,
    requestHeaders: compileHeaderEdit(config.headers?.request, 'upstream', overrides),
    responseHeaders: compileHeaderEdit(config.headers?.response, 'client'),
    retry: config.retry === undefined || config.retry.attempts === 0 ? undefined : new RetryPolicy(config.retry),
    bodyPolicies: config.compress || config.cache !== undefined,
    toUpstreamPath
  })
}
