// `turnpike explain FILE METHOD URL [-H 'Name: value']...`: which route a request would
// take and why, or why none does. It asks the very RouteTable the server builds; the
// "why not" lines come from one-route tables of the same class, never a second matcher.
import { parseArgs } from 'node:util'
import { ConfigError, loadConfigFile } from '../config/load.js'
import type { GatewayConfig, RouteConfig } from '../config/schema.js'
import { normalizeTarget, PathError } from '../routing/normalize.js'
import { hostOf, RouteTable } from '../routing/route-table.js'
import { upstreamLines } from './explain-upstreams.js'

const USAGE = "usage: turnpike explain FILE METHOD URL [-H 'Name: value']...\n"

function describe (route: RouteConfig): string {
  const m = route.match
  const parts = [`path ${m.path}${m.exact ? ' (exact)' : ''}`]
  if (m.methods !== undefined) parts.push(`methods ${m.methods.join(',')}`)
  if (m.host !== undefined) parts.push(`host ${m.host}`)
  if (m.headers !== undefined) parts.push(`headers ${Object.entries(m.headers).map(([k, v]) => `${k}=${v}`).join(',')}`)
  return parts.join(', ')
}

/** Why one route does not take the request, found by relaxing one condition at a time. */
function whyNot (route: RouteConfig, method: string, host: string, path: string, headers: Record<string, string>): string {
  const table = new RouteTable([route])
  const relaxedHeaders = { ...headers, ...Object.fromEntries(Object.entries(route.match.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])) }
  const relaxedHost = route.match.host === undefined ? host : hostOf(route.match.host.replace(/^\*\./, 'x.'))
  const anyMethod = route.match.methods?.[0] ?? 'GET'
  if (table.lookup(anyMethod, relaxedHost, path, relaxedHeaders).kind !== 'route') return 'path does not match'
  if (table.lookup(anyMethod, host, path, relaxedHeaders).kind !== 'route') return `host "${host}" does not match ${route.match.host ?? ''}`
  if (table.lookup(anyMethod, host, path, headers).kind !== 'route') return 'headers do not match'
  if (table.lookup(method, host, path, headers).kind !== 'route') return `method ${method} not allowed`
  return 'matches, but a more specific route wins'
}

async function print (config: GatewayConfig, method: string, url: URL, headers: Record<string, string>): Promise<number> {
  const out = (line: string): void => { process.stdout.write(line + '\n') }
  const host = hostOf(url.host)
  let path: string
  try {
    path = normalizeTarget(url.pathname + url.search).path
  } catch (err) {
    if (!(err instanceof PathError)) throw err
    out(`400 Bad Request: ${err.message}`)
    return 1
  }
  const table = new RouteTable(config.routes)
  out(`request: ${method} host=${host} path=${path}${url.search}`)
  const result = table.lookup(method, host, path, headers)
  if (result.kind === 'route') {
    const route = result.route
    out(`route: ${route.name} (${describe(route.config)})`)
    if (Object.keys(result.params).length > 0) out(`params: ${JSON.stringify(result.params)}`)
    for (const line of await upstreamLines(config, route.config)) out(line)
    out(`upstream path: ${route.toUpstreamPath(path)}${url.search}`)
    return 0
  }
  out(result.kind === 'method-not-allowed' ? `405 Method Not Allowed (Allow: ${result.allow.join(', ')})` : '404 no route matches')
  for (const route of config.routes) out(`  ${route.name}: ${whyNot(route, method, host, path, headers)}`)
  return 1
}

export async function run (argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { header: { type: 'string', short: 'H', multiple: true } } })
  } catch (err) {
    process.stderr.write(`turnpike explain: ${(err as Error).message}\n${USAGE}`)
    return 2
  }
  const [file, method, rawUrl] = parsed.positionals
  if (file === undefined || method === undefined || rawUrl === undefined) {
    process.stderr.write(USAGE)
    return 2
  }
  let url: URL
  try {
    url = new URL(rawUrl)
  } catch {
    process.stderr.write(`turnpike explain: "${rawUrl}" is not an absolute URL (e.g. http://api.example.com/api/users/7)\n`)
    return 2
  }
  const headers: Record<string, string> = {}
  for (const h of parsed.values.header ?? []) {
    const colon = h.indexOf(':')
    if (colon > 0) headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim()
  }
  try {
    const { config } = await loadConfigFile(file)
    return await print(config, method.toUpperCase(), url, headers)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(err.message + '\n')
    return 1
  }
}
