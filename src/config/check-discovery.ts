// Cross-checks of an upstream's target source: exactly one of `targets` and
// `discovery`, and a discovery that says what to resolve and where.
import { isIP } from 'node:net'
import type { Issue } from './problem.js'
import { entriesOf, isObject } from './guards.js'

export function discoveryIssues (upstreams: unknown): Issue[] {
  const issues: Issue[] = []
  for (const [name, upstream] of entriesOf(upstreams)) {
    if (!isObject(upstream)) continue
    const at = (...rest: string[]) => ['upstreams', name, ...rest]
    const { targets, discovery } = upstream
    if (targets === undefined && discovery === undefined) {
      issues.push({ path: at(), message: 'an upstream needs `targets` or `discovery`' })
    } else if (targets !== undefined && discovery !== undefined) {
      issues.push({ path: at('discovery'), message: 'use `targets` or `discovery`, not both' })
    }
    if (!isObject(discovery)) continue
    const { dns, srv, port, resolver } = discovery
    if ((dns === undefined) === (srv === undefined)) {
      issues.push({ path: at('discovery'), message: 'discovery needs exactly one of `dns` (A/AAAA) and `srv`' })
    }
    if (dns !== undefined && port === undefined) issues.push({ path: at('discovery'), message: '`discovery.dns` needs a `port` for its targets' })
    if (srv !== undefined && port !== undefined) issues.push({ path: at('discovery', 'port'), message: 'SRV records carry their own ports: `port` is for `dns` only' })
    if (typeof resolver === 'string') {
      const problem = resolverProblem(resolver)
      if (problem !== undefined) issues.push({ path: at('discovery', 'resolver'), message: problem })
    }
  }
  return issues
}

/** `IP`, `IP:PORT`, `[IPv6]:PORT` or a bare IPv6 address: what node:dns's setServers takes. */
export function resolverProblem (text: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  const v4 = /^([0-9.]+)(?::(\d+))?$/.exec(text)
  const [host, port] = bracketed !== null ? [bracketed[1], bracketed[2]] : v4 !== null ? [v4[1], v4[2]] : [text, undefined]
  if (host === undefined || isIP(host) === 0) return `'${text}' is not an IP address with an optional port (e.g. 10.96.0.10:53 or [fd00::a]:53)`
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return `bad port in '${text}'`
  return undefined
}
