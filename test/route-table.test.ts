import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { RouteConfig } from '../src/config/schema.js'
import { RouteTable } from '../src/routing/route-table.js'

function route (name: string, match: Partial<RouteConfig['match']> & { path: string }, extra: Partial<RouteConfig> = {}): RouteConfig {
  return {
    name,
    match: { exact: false, ...match },
    upstream: 'u',
    stripPrefix: false,
    preserveHost: false,
    timeout: 1000,
    auth: 'none',
    compress: false,
    websocket: false,
    allowOverrideHeaders: [],
    ...extra
  }
}

function lookup (table: RouteTable, method: string, path: string, host = 'example.com', headers: Record<string, string> = {}): string {
  const r = table.lookup(method, host, path, headers)
  if (r.kind === 'route') return r.route.name
  return r.kind === 'method-not-allowed' ? `405 ${r.allow.join(',')}` : '404'
}

test('a literal path is a prefix on segment boundaries', () => {
  const t = new RouteTable([route('users', { path: '/api/users' })])
  assert.equal(lookup(t, 'GET', '/api/users'), 'users')
  assert.equal(lookup(t, 'GET', '/api/users/'), 'users')
  assert.equal(lookup(t, 'GET', '/api/users/7'), 'users')
  assert.equal(lookup(t, 'GET', '/api/usersx'), '404')
  assert.equal(lookup(t, 'GET', '/api'), '404')
})

test('exact routes match only their path and win over a prefix route on it', () => {
  const t = new RouteTable([route('prefix', { path: '/a' }), route('exact', { path: '/a', exact: true })])
  assert.equal(lookup(t, 'GET', '/a'), 'exact')
  assert.equal(lookup(t, 'GET', '/a/b'), 'prefix')
})

test('the longer literal prefix wins, whatever the file order', () => {
  const t = new RouteTable([route('root', { path: '/' }), route('api', { path: '/api' }), route('users', { path: '/api/users' })])
  assert.equal(lookup(t, 'GET', '/api/users/1'), 'users')
  assert.equal(lookup(t, 'GET', '/api/orders'), 'api')
  assert.equal(lookup(t, 'GET', '/'), 'root')
  assert.equal(lookup(t, 'GET', '/other'), 'root')
})

test('params and wildcards', () => {
  const t = new RouteTable([route('user', { path: '/users/:id', exact: true }), route('files', { path: '/files/*' })])
  const r = t.lookup('GET', 'x', '/users/42', {})
  assert.equal(r.kind, 'route')
  assert.deepEqual(r.kind === 'route' ? { ...r.params } : null, { id: '42' })
  assert.equal(lookup(t, 'GET', '/users/42/more'), '404')
  assert.equal(lookup(t, 'GET', '/files/a/b/c'), 'files')
})

test('host and header matches come before routes without them, and fall back when they fail', () => {
  const t = new RouteTable([
    route('plain', { path: '/api' }),
    route('v2', { path: '/api', headers: { 'X-Api-Version': '2' } }),
    route('host', { path: '/api', host: 'api.example.com' }),
    route('wild', { path: '/api', host: '*.tenant.io' })
  ])
  assert.equal(lookup(t, 'GET', '/api/x', 'other.com'), 'plain')
  assert.equal(lookup(t, 'GET', '/api/x', 'other.com', { 'x-api-version': '2' }), 'v2')
  assert.equal(lookup(t, 'GET', '/api/x', 'api.example.com'), 'host')
  assert.equal(lookup(t, 'GET', '/api/x', 'acme.tenant.io'), 'wild')
  assert.equal(lookup(t, 'GET', '/api/x', 'tenant.io'), 'plain')
})

test('a path that matches with another method is 405 with the allowed methods', () => {
  const t = new RouteTable([route('ro', { path: '/ro', methods: ['GET'] })])
  assert.equal(lookup(t, 'GET', '/ro/1'), 'ro')
  assert.equal(lookup(t, 'HEAD', '/ro/1'), 'ro', 'GET implies HEAD')
  assert.equal(lookup(t, 'DELETE', '/ro/1'), '405 GET,HEAD')
})

test('remaining ties go to file order and the loser is reported as shadowed', () => {
  const t = new RouteTable([route('first', { path: '/dup' }), route('second', { path: '/dup' })])
  assert.equal(lookup(t, 'GET', '/dup'), 'first')
  assert.ok(t.shadowed.some((s) => s.route === 'second' && s.by === 'first'))
})

test('stripPrefix and rewrite compute the upstream path', () => {
  const t = new RouteTable([
    route('strip', { path: '/api/users' }, { stripPrefix: true }),
    route('rw', { path: '/v1' }, { rewrite: '/v2' })
  ])
  const strip = t.routes[0]
  const rw = t.routes[1]
  assert.equal(strip?.toUpstreamPath('/api/users/7'), '/7')
  assert.equal(strip?.toUpstreamPath('/api/users'), '/')
  assert.equal(rw?.toUpstreamPath('/v1/7'), '/v2/7')
  assert.equal(rw?.toUpstreamPath('/v1'), '/v2')
})
