// The seam through which code from outside the gateway's own policies (user plugins)
// joins a route. Each config route is its own encapsulated Fastify scope (src/app.ts,
// src/routing/route-scope.ts); after the built-in policies of that route (IP rules,
// DDoS, rate limit, CORS, auth, cache, compression) have been registered into it, the
// gateway calls this once per route and config generation with that scope, so hooks
// added there run for that route only, after the built-in ones, and a route that gets
// none pays nothing for them.
//
// A hook talks to the request through `request.turnpike` (src/proxy/context.ts): the
// route, client IP, identity and claims, the chosen upstream, and two header maps:
// `upstreamHeaders` (added to the request sent upstream) and `downstreamHeaders`
// (added to the proxied response).
import type { FastifyInstance } from 'fastify'
import type { CompiledRoute } from './compiled-route.js'

export type RouteExtensions = (scope: FastifyInstance, route: CompiledRoute) => Promise<void>
