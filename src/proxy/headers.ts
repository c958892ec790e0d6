// Header rewriting in both directions. Hop-by-hop headers (RFC 9110 §7.6.1), every
// header the Connection header names, and all Proxy-* headers stop at the gateway, so
// they can neither confuse the upstream nor make the HTTP client throw (the 5xx a bare
// proxy gives for `Connection: keep-alive, foo` or `TE: trailers`). Client-sent
// forwarding headers are believed only from trusted peers.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { HeaderEdit } from '../routing/compiled-route.js'

const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding',
  'upgrade', 'expect', 'http2-settings'
])

/** Headers the gateway sets itself on the way upstream. */
const GATEWAY_OWNED: ReadonlySet<string> = new Set([
  'host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'forwarded', 'x-request-id'
])

export type OutgoingHeaders = Record<string, string | string[]>

/** Lower-case names listed in a Connection header, or null when there are none. */
function connectionListed (value: string | string[] | undefined): Set<string> | null {
  if (value === undefined) return null
  const text = Array.isArray(value) ? value.join(',') : value
  if (text === 'keep-alive' || text === 'close' || text === 'upgrade') return null
  const names = new Set<string>()
  for (const token of text.split(',')) {
    const name = token.trim().toLowerCase()
    if (name !== '') names.add(name)
  }
  return names
}

function isHopByHop (name: string, listed: Set<string> | null): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-') || (listed !== null && listed.has(name))
}

function applyEdit (headers: OutgoingHeaders, edit: HeaderEdit): void {
  // Deleted only when present: every route removes the override headers, which are
  // almost never sent, and a `delete` turns the object into a slower dictionary.
  for (const name of edit.remove) if (headers[name] !== undefined) delete headers[name]
  for (const [name, value] of edit.set) headers[name] = value
}

/** An IPv4-mapped IPv6 peer (::ffff:1.2.3.4) written as plain IPv4, as nginx does. */
export function plainAddress (address: string | undefined): string {
  if (address === undefined) return ''
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

export interface ForwardingFacts {
  /** The connecting peer. */
  readonly peer: string
  /** True when server.trustProxy trusts the peer. */
  readonly peerTrusted: boolean
  /** The gateway's idea of the client (trusted X-Forwarded-For applied). */
  readonly clientIp: string
  /** http or https, as the client used it (or a trusted peer said). */
  readonly proto: string
  /** The host the client asked for (or a trusted peer said). */
  readonly forwardedHost: string
  readonly requestId: string
  /** The Host header to send upstream. */
  readonly upstreamHost: string
}

export function upstreamRequestHeaders (req: IncomingMessage, facts: ForwardingFacts, edit: HeaderEdit): OutgoingHeaders {
  const incoming: IncomingHttpHeaders = req.headers
  const listed = connectionListed(incoming.connection)
  const out: OutgoingHeaders = {}
  for (const name in incoming) {
    if (isHopByHop(name, listed) || GATEWAY_OWNED.has(name)) continue
    const value = incoming[name]
    if (value !== undefined) out[name] = value
  }
  out.host = facts.upstreamHost
  const xff = incoming['x-forwarded-for']
  // Like nginx's $proxy_add_x_forwarded_for: the chain is kept and the peer appended;
  // only trustProxy decides whether any of it is believed (facts.clientIp).
  out['x-forwarded-for'] = xff === undefined || xff === '' ? facts.peer : `${xff}, ${facts.peer}`
  out['x-forwarded-proto'] = facts.proto
  // An HTTP/1.0 request may come without Host: then there is no host to tell.
  if (facts.forwardedHost !== '') out['x-forwarded-host'] = facts.forwardedHost
  out['x-real-ip'] = facts.clientIp
  if (facts.peerTrusted && incoming.forwarded !== undefined) out.forwarded = incoming.forwarded
  out['x-request-id'] = facts.requestId
  applyEdit(out, edit)
  return out
}

/** Upstream response headers as the client gets them. */
export function clientResponseHeaders (upstream: Record<string, string | string[] | undefined>, edit: HeaderEdit): OutgoingHeaders {
  const listed = connectionListed(upstream.connection)
  const out: OutgoingHeaders = {}
  for (const name in upstream) {
    if (isHopByHop(name, listed)) continue
    const value = upstream[name]
    if (value !== undefined) out[name] = value
  }
  applyEdit(out, edit)
  return out
}
