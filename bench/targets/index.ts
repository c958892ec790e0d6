// The benchmark's targets, measured in this order in every round. A new variant is one
// more entry, e.g. turnpikeTarget({ name: 'turnpike-rl', about: '…', config: withRateLimit }).
import { bareTarget } from './bare.js'
import { directTarget } from './direct.js'
import { floorTarget } from './floor.js'
import { nginxTarget } from './nginx.js'
import { connectionClose, singleRoute, threeTargetsWithHealth, turnpikeTarget, withConnectionLimits, withJwt, withRateLimit, withWorkers } from './turnpike.js'
import { benchJwtHeaders } from './jwt-token.js'
import { hundredDiscovered, hundredStatic, mirroredRoute } from './upstreams.js'
import { signedTenantHeaders, withTwoExamplePlugins, withTwoLightPlugins } from './plugins.js'
import type { Target } from './types.js'

export const TARGETS: readonly Target[] = [
  directTarget,
  turnpikeTarget({
    name: 'turnpike',
    about: 'Turnpike (dist CLI), one route /api with stripPrefix and a request header set, access log on, metrics on',
    config: singleRoute
  }),
  turnpikeTarget({
    name: 'turnpike-3rr-hc',
    about: 'Turnpike, same route over three targets, round-robin, active health checks every 1s',
    config: threeTargetsWithHealth
  }),
  turnpikeTarget({
    name: 'turnpike-ratelimit',
    about: 'Turnpike, the same route with a sliding-window rate limit (never reached) on the in-process store',
    config: withRateLimit,
    relativeTo: 'turnpike'
  }),
  turnpikeTarget({
    name: 'turnpike-jwt',
    about: 'Turnpike, the same route behind JWT auth (HS256, issuer and audience checked), one token',
    config: withJwt,
    headers: benchJwtHeaders,
    relativeTo: 'turnpike'
  }),
  // server.workers: 2 beside the one-process targets above. Not pinned: the workers use
  // both cores, shared with the load generator and the backend (run with --no-pin to
  // let the one-process targets float the same way). CPU per request counts the
  // primary and every worker.
  turnpikeTarget({
    name: 'turnpike-w2',
    about: 'Turnpike, the single route with server.workers: 2 (primary + 2 workers, CPU summed over all three)',
    config: withWorkers(2, singleRoute),
    relativeTo: 'turnpike',
    pin: false
  }),
  turnpikeTarget({
    name: 'turnpike-w2-ratelimit',
    about: 'Turnpike, workers: 2, the rate-limited route: one limit for the gateway, counted by the primary over IPC',
    config: withWorkers(2, withRateLimit),
    relativeTo: 'turnpike-w2',
    pin: false
  }),
  turnpikeTarget({
    name: 'turnpike-connlimit',
    about: 'Turnpike, the same route with security.connections (perIp and total, never reached)',
    config: withConnectionLimits,
    relativeTo: 'turnpike'
  }),
  turnpikeTarget({
    name: 'turnpike-close',
    about: 'Turnpike, the same route, every request on a new connection (Connection: close)',
    config: singleRoute,
    headers: connectionClose
  }),
  turnpikeTarget({
    name: 'turnpike-connlimit-close',
    about: 'Turnpike with security.connections, every request on a new connection (Connection: close)',
    config: withConnectionLimits,
    headers: connectionClose,
    relativeTo: 'turnpike-close'
  }),
  turnpikeTarget({
    name: 'turnpike-w2-close',
    about: 'Turnpike, workers: 2, every request on a new connection (Connection: close)',
    config: withWorkers(2, singleRoute),
    headers: connectionClose,
    relativeTo: 'turnpike-close',
    pin: false
  }),
  turnpikeTarget({
    name: 'turnpike-w2-connlimit-close',
    about: 'Turnpike, workers: 2 with security.connections (one count for the gateway, kept by the primary over IPC), every request on a new connection',
    config: withWorkers(2, withConnectionLimits),
    headers: connectionClose,
    relativeTo: 'turnpike-w2-close',
    pin: false
  }),
  turnpikeTarget({
    name: 'turnpike-100-static',
    about: 'Turnpike, the route over 100 listed targets (one backend on 100 loopback addresses), round-robin',
    config: hundredStatic
  }),
  turnpikeTarget({
    name: 'turnpike-100-dns',
    about: 'Turnpike, the same 100 targets from DNS A records, looked up every 1s',
    config: hundredDiscovered(),
    relativeTo: 'turnpike-100-static'
  }),
  turnpikeTarget({
    name: 'turnpike-mirror',
    about: 'Turnpike, the single route with mirror: {percent: 100} to a second upstream',
    config: mirroredRoute,
    relativeTo: 'turnpike'
  }),
  // The plugins' cost: the same route and the same signed requests, without and with them.
  turnpikeTarget({
    name: 'turnpike-plugins-off',
    about: 'Turnpike, the single route, the plugin target\'s requests (signature and tenant headers), no plugins',
    config: singleRoute,
    headers: signedTenantHeaders
  }),
  turnpikeTarget({
    name: 'turnpike-plugins',
    about: 'Turnpike, the single route with two light user plugins (the example tenant header router, a response-header stamp)',
    config: withTwoLightPlugins,
    headers: signedTenantHeaders,
    relativeTo: 'turnpike-plugins-off'
  }),
  turnpikeTarget({
    name: 'turnpike-plugins-hmac',
    about: 'Turnpike, the single route with the two example plugins (HMAC signature check, tenant header router)',
    config: withTwoExamplePlugins,
    headers: signedTenantHeaders,
    relativeTo: 'turnpike-plugins-off'
  }),
  // A before/after comparison of a hot-path change in one interleaved run: build the
  // old code, copy dist/ to e.g. dist-baseline/, rebuild, and set TURNPIKE_BASELINE.
  // The workers', discovery and mirror variants have a baseline of their own
  // (baseline-w2-ratelimit, baseline-100-dns, baseline-mirror, …).
  ...(process.env.TURNPIKE_BASELINE === undefined ? [] : baselines(process.env.TURNPIKE_BASELINE)),
  // Room for more turnpike variants above (a route with user plugins, relativeTo 'turnpike').
  floorTarget,
  bareTarget,
  nginxTarget
]

function baselines (dir: string): Target[] {
  const cli = `${dir}/src/cli/main.js`
  return [
    turnpikeTarget({ name: 'baseline', about: `Turnpike from ${dir}, same config`, config: singleRoute, cli }),
    turnpikeTarget({ name: 'baseline-w2', about: `turnpike-w2 from ${dir}`, config: withWorkers(2, singleRoute), cli, pin: false }),
    turnpikeTarget({ name: 'baseline-w2-ratelimit', about: `turnpike-w2-ratelimit from ${dir}`, config: withWorkers(2, withRateLimit), cli, relativeTo: 'baseline-w2', pin: false }),
    turnpikeTarget({ name: 'baseline-w2-close', about: `turnpike-w2-close from ${dir}`, config: withWorkers(2, singleRoute), headers: connectionClose, cli, pin: false }),
    turnpikeTarget({ name: 'baseline-w2-connlimit-close', about: `turnpike-w2-connlimit-close from ${dir}`, config: withWorkers(2, withConnectionLimits), headers: connectionClose, cli, relativeTo: 'baseline-w2-close', pin: false }),
    turnpikeTarget({ name: 'baseline-100-static', about: `Turnpike from ${dir}, the route over 100 listed targets`, config: hundredStatic, cli }),
    turnpikeTarget({ name: 'baseline-100-dns', about: `Turnpike from ${dir}, 100 targets from DNS looked up every 1s`, config: hundredDiscovered(), cli, relativeTo: 'baseline-100-static' }),
    turnpikeTarget({ name: 'baseline-mirror', about: `Turnpike from ${dir}, the single route mirrored at 100 %`, config: mirroredRoute, cli, relativeTo: 'baseline' })
  ]
}
