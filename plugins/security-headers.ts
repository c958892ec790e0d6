// Security response headers (`security.headers: true`) with @fastify/helmet,
// registered at the root before routing, so the gateway's own answers (400, 401, 404,
// 405, 429, 502…) carry them as well as proxied ones.
//
// @fastify/helmet builds helmet's middleware from the options again on every request,
// in two async hooks; compiling `helmet(options)` once and calling it from a hook of
// ours is cheaper (docs/performance.md, "Route scopes"), but it would be our own copy of
// what the plugin does, beside the plugin. The plugin stays, through its public API.
//
// The gateway fronts applications it knows nothing about, so only headers that cannot
// break a working app are sent. Turned off, of helmet's defaults:
// - Content-Security-Policy: its default (`default-src 'self'`, `script-src 'self'`…)
//   breaks any app that loads scripts, styles, fonts or images from a CDN or inline. A
//   CSP belongs to the app, which knows what it loads.
// - Cross-Origin-Resource-Policy: same-origin: browsers would refuse the gateway's
//   answers to cross-origin pages (API use from other origins, images, fonts).
// - Cross-Origin-Opener-Policy: same-origin: breaks OAuth and payment pop-ups that talk
//   back to their opener.
// - Origin-Agent-Cluster: changes how the app's pages share a process and disables
//   `document.domain`, which some apps still rely on.
// Changed:
// - Referrer-Policy: `strict-origin-when-cross-origin` (the browsers' own default)
//   rather than `no-referrer`, which breaks apps that check Referer (Django's CSRF check
//   on HTTPS, OAuth redirects, analytics).
// - Strict-Transport-Security without includeSubDomains: that commits every subdomain
//   to HTTPS, a decision for the domain's owner, not for one gateway on it.
//
// helmet writes with res.setHeader on the raw response, not reply.header. Node merges
// those into writeHead's headers with writeHead's taking precedence, so on a proxied
// response the upstream's own value of a header wins (an app that sets its own
// X-Frame-Options or HSTS knows better), and every header it does not set is added.
import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'
import type { PolicyOptions } from '../src/routing/route-policy.js'

/** helmet's options, as above. */
export const HELMET_OPTIONS = Object.freeze({
  contentSecurityPolicy: false,
  crossOriginEmbedderPolicy: false,
  crossOriginOpenerPolicy: false,
  crossOriginResourcePolicy: false,
  originAgentCluster: false,
  referrerPolicy: { policy: 'strict-origin-when-cross-origin' as const },
  strictTransportSecurity: { maxAge: 31536000, includeSubDomains: false }
})

// fastify-plugin: its hooks must reach the root, hence every route scope and the
// root's own error answers.
async function securityHeadersPolicy (root: FastifyInstance, options: PolicyOptions): Promise<void> {
  if (options.config.security?.headers !== true) return
  await root.register(helmet, { ...HELMET_OPTIONS, global: true })
}

export default fp(securityHeadersPolicy, { name: 'turnpike-security-headers', fastify: '5.x' })
