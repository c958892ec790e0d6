// Config checks for discovery, limits, split and mirror: each mistake named with its
// file, line and key.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatProblem } from '../src/config/load.js'
import { configProblems } from './helpers/config.js'

/** Problems as `gw.yaml:LINE key: message` (the column is checked by the general config tests). */
const lines = (text: string): string[] => configProblems(text, 'gw.yaml').map(formatProblem).map((l) => l.replace(/^(gw\.yaml:\d+):\d+/, '$1'))
const ROUTE = 'routes:\n  - { name: r, match: { path: / }, upstream: u }\n'

test('discovery: one of targets and discovery, one of dns and srv, a port for dns only, an IP resolver', () => {
  assert.deepEqual(lines(`upstreams:\n  u: { balancer: random }\n${ROUTE}`), ['gw.yaml:2 upstreams.u: an upstream needs `targets` or `discovery`'])
  assert.deepEqual(lines(`upstreams:\n  u:\n    targets: [{ url: "http://127.0.0.1:1" }]\n    discovery: { dns: a.test, port: 80 }\n${ROUTE}`),
    ['gw.yaml:4 upstreams.u.discovery: use `targets` or `discovery`, not both'])
  assert.deepEqual(lines(`upstreams:\n  u:\n    discovery: { dns: a.test, srv: _http._tcp.a.test }\n${ROUTE}`),
    ['gw.yaml:3 upstreams.u.discovery: discovery needs exactly one of `dns` (A/AAAA) and `srv`'])
  assert.deepEqual(lines(`upstreams:\n  u:\n    discovery: { dns: a.test }\n${ROUTE}`),
    ['gw.yaml:3 upstreams.u.discovery: `discovery.dns` needs a `port` for its targets'])
  assert.deepEqual(lines(`upstreams:\n  u:\n    discovery: { srv: _http._tcp.a.test, port: 80 }\n${ROUTE}`),
    ['gw.yaml:3 upstreams.u.discovery.port: SRV records carry their own ports: `port` is for `dns` only'])
  assert.match(lines(`upstreams:\n  u:\n    discovery: { dns: a.test, port: 80, resolver: "999.1.1.1:53" }\n${ROUTE}`)[0] ?? '',
    /upstreams\.u\.discovery\.resolver: '999\.1\.1\.1:53' is not an IP address/)
  assert.deepEqual(lines(`upstreams:\n  u:\n    discovery: { dns: a.test, port: 80, resolver: "[::1]:5353", refresh: 2s }\n${ROUTE}`), [])
})

test('split: upstream or split, known upstreams, not every weight 0, stickyBy only with a split; mirror names a known upstream', () => {
  const ups = 'upstreams:\n  a: { targets: [{ url: "http://127.0.0.1:1" }] }\n  b: { targets: [{ url: "http://127.0.0.1:2" }] }\n'
  assert.deepEqual(lines(`${ups}routes:\n  - { name: r, match: { path: / } }\n`), ['gw.yaml:5 routes.0: a route needs `upstream` or `split`'])
  assert.deepEqual(lines(`${ups}routes:\n  - { name: r, match: { path: / }, upstream: a, split: [{ upstream: b, weight: 1 }] }\n`),
    ['gw.yaml:5 routes.0.split: use `upstream` or `split`, not both'])
  assert.deepEqual(lines(`${ups}routes:\n  - { name: r, match: { path: / }, split: [{ upstream: a, weight: 0 }, { upstream: b, weight: 0 }] }\n`),
    ['gw.yaml:5 routes.0.split: every weight is 0: at least one upstream must get traffic'])
  assert.deepEqual(lines(`${ups}routes:\n  - { name: r, match: { path: / }, split: [{ upstream: a, weight: 1 }, { upstream: c, weight: 0 }] }\n`),
    ["gw.yaml:5 routes.0.split.1.upstream: unknown upstream 'c' (defined: a, b)"])
  assert.deepEqual(lines(`${ups}routes:\n  - { name: r, match: { path: / }, upstream: a, stickyBy: ip }\n`),
    ['gw.yaml:5 routes.0.stickyBy: `stickyBy` only applies to a `split` route'])
  assert.deepEqual(lines(`${ups}routes:\n  - { name: r, match: { path: / }, upstream: a, mirror: { upstream: z } }\n`),
    ["gw.yaml:5 routes.0.mirror.upstream: unknown upstream 'z' (defined: a, b)"])
  assert.deepEqual(lines(`${ups}routes:\n  - { name: r, match: { path: / }, split: [{ upstream: a, weight: 90 }, { upstream: b, weight: 10 }], stickyBy: "header:x-user", mirror: { upstream: b, percent: 5 } }\n`), [])
})

test('limits: maxConnections is required, pendingTimeout is a duration', () => {
  const text = (limits: string): string => `upstreams:\n  u:\n    targets: [{ url: "http://127.0.0.1:1" }]\n    limits: ${limits}\n${ROUTE}`
  assert.equal(lines(text('{ maxConnections: 4, maxPending: 8, pendingTimeout: 250ms }')).length, 0)
  assert.match(lines(text('{ maxPending: 8 }'))[0] ?? '', /upstreams\.u\.limits.*maxConnections/)
  assert.match(lines(text('{ maxConnections: 4, pendingTimeout: soon }'))[0] ?? '', /upstreams\.u\.limits\.pendingTimeout/)
})
