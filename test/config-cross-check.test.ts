import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { formatProblem } from '../src/config/load.js'
import { configProblems } from './helpers/config.js'

const UPSTREAMS = 'upstreams:\n  users:\n    targets: [{ url: "http://127.0.0.1:8000" }]\n'

function lines (text: string, file = 'gw.yaml'): string[] {
  return configProblems(text, file).map(formatProblem)
}

/** `gw.yaml:LINE:COL` of the first `needle` in `text`: where a problem must point. */
function at (text: string, needle: string): string {
  const before = text.slice(0, text.indexOf(needle)).split('\n')
  return `gw.yaml:${before.length}:${(before.at(-1) ?? '').length + 1}`
}

function route (fields: string): string {
  return `${UPSTREAMS}routes:\n  - { name: r, upstream: users, ${fields} }\n`
}

test('a route naming an unknown upstream', () => {
  const text = `${UPSTREAMS}routes:\n  - { name: r, match: { path: / }, upstream: userz }\n`
  assert.deepEqual(lines(text), [`${at(text, 'userz')} routes.0.upstream: unknown upstream 'userz' (defined: users)`])
  assert.deepEqual(lines('routes:\n  - { name: r, match: { path: / }, upstream: x }\n'),
    ["gw.yaml:2:46 routes.0.upstream: unknown upstream 'x' (no upstreams are defined)"])
})

test('duplicate route names', () => {
  const text = `${UPSTREAMS}routes:\n  - { name: r, match: { path: /a }, upstream: users }\n  - { name: r, match: { path: /b }, upstream: users }\n`
  assert.deepEqual(lines(text), ["gw.yaml:6:13 routes.1.name: duplicate route name 'r' (also routes.0)"])
})

test('server.port and admin.port clash only when the hosts overlap', () => {
  const clash = "gw.yaml:2:16 admin.port: port 8080 is also server.port and the hosts overlap (0.0.0.0, 127.0.0.1); pick another port"
  assert.deepEqual(lines('server: { port: 8080 }\nadmin: { port: 8080 }\n'), [clash])
  assert.equal(lines('server: { host: localhost, port: 80 }\nadmin: { host: 127.0.0.1, port: 80 }\n').length, 1)
  assert.deepEqual(lines('server: { host: 10.0.0.1, port: 80 }\nadmin: { host: 127.0.0.1, port: 80 }\n'), [])
  assert.deepEqual(lines('server: { port: 0 }\nadmin: { port: 0 }\n'), [])
})

test('target URLs must be http(s) origins', () => {
  const target = (url: string) => lines(`upstreams:\n  u:\n    targets: [{ url: "${url}" }]\n`)
  assert.deepEqual(target('http://10.0.0.1:8000/api'), [
    "gw.yaml:3:22 upstreams.u.targets.0.url: a target is an origin (scheme://host:port) and cannot have a path ('/api'); use route rewrite for a base path"
  ])
  assert.match(target('http://h/?a=1')[0] ?? '', /cannot have a query string or fragment/)
  assert.match(target('http://user:pw@h')[0] ?? '', /cannot contain credentials/)
  assert.match(target('http://bad host')[0] ?? '', /bad URL 'http:\/\/bad host'/)
  assert.match(target('ftp://h')[0] ?? '', /expected an http:\/\/ or https:\/\/ URL/)
  assert.deepEqual(target('https://h:8443/'), [])
  assert.match(lines('upstreams:\n  u:\n    targets: [{ url: "http://h" }, { url: "http://h/" }]\n')[0] ?? '',
    /targets\.1\.url: duplicate target/)
})

test('stripPrefix together with rewrite', () => {
  const text = route('match: { path: /a }, stripPrefix: true, rewrite: /v2')
  assert.deepEqual(lines(text),
    [`${at(text, '/v2')} routes.0.rewrite: use stripPrefix or rewrite, not both (rewrite already replaces the matched prefix)`])
  assert.deepEqual(lines(route('match: { path: /a }, stripPrefix: false, rewrite: /v2')), [])
})

test('exact: true with a wildcard path', () => {
  const text = route('match: { path: /a/*, exact: true }')
  assert.deepEqual(lines(text), [`${at(text, 'true')} routes.0.match.exact: exact: true cannot be combined with a '*' wildcard path`])
})

test('match.path must be a valid pattern', () => {
  const pathProblem = (p: string) => lines(route(`match: { path: "${p}" }`))[0]
  assert.match(pathProblem('/a//b') ?? '', /routes\.0\.match\.path: empty path segment/)
  assert.match(pathProblem('/a/') ?? '', /trailing '\/' not allowed/)
  assert.match(pathProblem('/a/*/b') ?? '', /'\*' is only allowed as the last segment/)
  assert.match(pathProblem('/a/b*') ?? '', /'\*' must be a whole segment/)
  assert.match(pathProblem('/a/:1x') ?? '', /bad parameter ':1x'/)
  assert.match(pathProblem('/a/:') ?? '', /bad parameter ':'/)
  assert.match(pathProblem('/a/:id/:id') ?? '', /parameter ':id' appears twice/)
  assert.match(pathProblem('/a/../b') ?? '', /'\.' and '\.\.' segments are not allowed/)
  assert.match(pathProblem('/a?x=1') ?? '', /query string/)
  assert.match(pathProblem('a') ?? '', /must start with '\/'/)
  for (const ok of ['/', '/a', '/a/:id', '/a/:id/*', '/*', '/v1/items:batch']) assert.equal(pathProblem(ok), undefined, ok)
})

test('header names in header maps must be valid', () => {
  const text = route('match: { path: /a }, headers: { request: { set: { "bad name": x } } }')
  assert.deepEqual(lines(text), [`${at(text, '"bad name"')} routes.0.headers.request.set.bad name: 'bad name' is not a valid header name`])
})

test('upstream names must match the name pattern, every one of them', () => {
  const text = 'upstreams:\n  "a b": { targets: [{ url: "http://h" }] }\n  "c/d": { targets: [{ url: "http://h" }] }\n'
  assert.deepEqual(lines(text), [
    "gw.yaml:2:3 upstreams.a b: bad name 'a b' (letters, digits, '_', '.' and '-' only)",
    "gw.yaml:3:3 upstreams.c/d: bad name 'c/d' (letters, digits, '_', '.' and '-' only)"
  ])
})

test('trustProxy entries must be IPs or CIDRs', () => {
  const text = 'server:\n  trustProxy: [10.0.0.0/8, 192.168.1.1, "::1", "fd00::/8", 10.0.0.0/33, loopback]\n'
  assert.deepEqual(lines(text), [
    `${at(text, '10.0.0.0/33')} server.trustProxy.4: '10.0.0.0/33' is not an IP address or CIDR range (e.g. 10.0.0.0/8)`,
    `${at(text, 'loopback')} server.trustProxy.5: 'loopback' is not an IP address or CIDR range (e.g. 10.0.0.0/8)`
  ])
})

test('server.tls files must exist, relative to the config file', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-tls-'))
  await writeFile(path.join(dir, 'tls.crt'), 'cert')
  const file = path.join(dir, 'gateway.yaml')
  assert.deepEqual(lines('server:\n  tls: { cert: tls.crt, key: tls.key }\n', file), [
    `${file}:2:30 server.tls.key: cannot read '${path.join(dir, 'tls.key')}' (no such file)`
  ])
  assert.deepEqual(lines(`server:\n  tls: { cert: tls.crt, key: "${dir}" }\n`, file), [
    `${file}:2:30 server.tls.key: '${dir}' is not a file`
  ])
})
