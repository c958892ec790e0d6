// One DNS lookup of a discovered upstream, on node:dns's Resolver (c-ares: real DNS
// queries to the configured server, never /etc/hosts or the getaddrinfo thread pool).
// `dns`: every A and AAAA address of the name on `port`. `srv`: the SRV records of the
// lowest priority (RFC 2782: higher ones are fallbacks), each record's target name
// resolved in turn, with the record's port and weight.
import { Resolver } from 'node:dns/promises'
import type { DiscoveryConfig } from '../../config/schema.js'

/** One address to send to. */
export interface Endpoint {
  /** http://ADDRESS:PORT, the target's identity. */
  readonly origin: string
  /** NAME:PORT, sent as Host (the name the operator configured, not an address). */
  readonly host: string
  readonly weight: number
}

/** Answers that mean "this name has no records of that type", not "DNS failed". */
const NO_RECORDS: ReadonlySet<string> = new Set(['ENODATA', 'ENOTFOUND'])

/** A resolver asking the configured server (or the system's), with a bounded wait. */
export function resolverFor (config: Readonly<DiscoveryConfig>): Resolver {
  const resolver = new Resolver({ timeout: 1000, tries: 2 })
  if (config.resolver !== undefined) resolver.setServers([config.resolver])
  return resolver
}

/** Every endpoint the name has now; [] when it has none. Throws when DNS itself failed. */
export async function lookup (resolver: Resolver, config: Readonly<DiscoveryConfig>): Promise<Endpoint[]> {
  if (config.srv !== undefined) return await lookupSrv(resolver, config.srv)
  const name = config.dns as string
  const port = config.port as number
  return (await addresses(resolver, name)).map((address) => endpoint(address, port, hostName(name), 1))
}

async function lookupSrv (resolver: Resolver, name: string): Promise<Endpoint[]> {
  const records = await orNone(resolver.resolveSrv(name))
  if (records.length === 0) return []
  const priority = Math.min(...records.map((r) => r.priority))
  const chosen = records.filter((r) => r.priority === priority)
  const resolved = await Promise.all(chosen.map(async (r) => await addresses(resolver, r.name)))
  const endpoints: Endpoint[] = []
  chosen.forEach((record, i) => {
    // Our weights run 1-1000; an SRV weight of 0 ("rarely") still gets a share.
    const weight = Math.min(1000, Math.max(1, record.weight))
    for (const address of resolved[i] as string[]) endpoints.push(endpoint(address, record.port, hostName(record.name), weight))
  })
  return endpoints
}

/** A and AAAA together; one family missing is normal, both failing is a failure. */
async function addresses (resolver: Resolver, name: string): Promise<string[]> {
  const [v4, v6] = await Promise.allSettled([orNone(resolver.resolve4(name)), orNone(resolver.resolve6(name))])
  if (v4.status === 'rejected' && v6.status === 'rejected') throw v4.reason
  return [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])]
}

async function orNone<T> (query: Promise<T[]>): Promise<T[]> {
  try {
    return await query
  } catch (err) {
    if (NO_RECORDS.has((err as { code?: string }).code ?? '')) return []
    throw err
  }
}

function endpoint (address: string, port: number, name: string, weight: number): Endpoint {
  const literal = address.includes(':') ? `[${address}]` : address
  return { origin: `http://${literal}:${port}`, host: `${name}:${port}`, weight }
}

function hostName (name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name
}
