// The upstream half of `turnpike explain`: where a matched route sends the request.
// A split lists each side with its share; a discovered upstream is resolved now, with
// the resolver the gateway would use, so the operator sees the targets it would get.
import type { GatewayConfig, RouteConfig, UpstreamConfig } from '../config/schema.js'
import { lookup, resolverFor } from '../upstream/discovery/lookup.js'

export async function upstreamLines (config: GatewayConfig, route: RouteConfig): Promise<string[]> {
  const lines: string[] = []
  if (route.split !== undefined) {
    const total = route.split.reduce((sum, s) => sum + s.weight, 0)
    const shares = route.split.map((s) => `${s.upstream} ${percent(s.weight, total)}`)
    lines.push(`split: ${shares.join(', ')}${route.stickyBy === undefined ? ' (random per request)' : ` (sticky by ${route.stickyBy})`}`)
    for (const side of route.split) lines.push(...await describeUpstream(config, side.upstream, '  '))
  } else if (route.upstream !== undefined) {
    lines.push(...await describeUpstream(config, route.upstream, ''))
  }
  if (route.mirror !== undefined) {
    lines.push(`mirror: ${route.mirror.percent}% of requests copied to ${route.mirror.upstream} (answers dropped; bodies up to 64 KiB)`)
  }
  return lines
}

async function describeUpstream (config: GatewayConfig, name: string, indent: string): Promise<string[]> {
  const upstream: UpstreamConfig | undefined = config.upstreams[name]
  if (upstream === undefined) return [`${indent}upstream: ${name} (unknown)`]
  const head = `${indent}upstream: ${name} (${upstream.balancer})`
  const discovery = upstream.discovery
  if (discovery === undefined) return [`${head} → ${(upstream.targets ?? []).map((t) => t.url).join(', ')}`]
  const what = discovery.srv !== undefined ? `SRV ${discovery.srv}` : `DNS ${discovery.dns ?? ''} port ${discovery.port ?? ''}`
  const via = discovery.resolver === undefined ? 'the system resolver' : discovery.resolver
  const resolver = resolverFor(discovery)
  try {
    const endpoints = await lookup(resolver, discovery)
    if (endpoints.length === 0) return [`${head} → discovered from ${what} via ${via}: no records now`]
    return [`${head} → discovered from ${what} via ${via}, every ${discovery.refresh / 1000}s:`,
      ...endpoints.map((e) => `${indent}  ${e.origin} (weight ${e.weight}, Host ${e.host})`)]
  } catch (err) {
    return [`${head} → discovered from ${what} via ${via}: lookup failed now (${(err as Error).message})`]
  } finally {
    resolver.cancel()
  }
}

function percent (weight: number, total: number): string {
  return `${Math.round((weight / total) * 1000) / 10}%`
}
