// Header rewriting in both directions. Hop-by-hop headers (RFC 9110 §7.6.1), every
// header the Connection header names, and all Proxy-* headers stop at the gateway, so
// they can neither confuse the upstream nor make the HTTP client throw (the 5xx a bare
// proxy gives for `Connection: keep-alive, foo` or `TE: trailers`). Client-sent
// forwarding headers are believed only from trusted peers.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'

const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding',
  'upgrade', 'expect', 'http2-settings'
])

/** Headers the gateway sets itself on the way upstream. */
const GATEWAY_OWNED: ReadonlySet<string> = new Set([
  'host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'forwarded', 'x-request-id'
])

export type OutgoingHeaders = Record<string, string | string[]>

/** A route's header edits for one direction, compiled once per config generation. */
export interface HeaderEdit {
  /** Lower-case header name → value, applied after removals. */
  readonly set: ReadonlyArray<readonly [string, string]>
  /**
   * Names never copied from the other side: hop-by-hop headers, on the way upstream the
   * ones the gateway sets itself, and the route's removals. One look-up per header instead of a
   * check per rule and a delete after the copy.
   */
  readonly notCopied: ReadonlySet<string>
  /** Removed names the gateway itself has set by the time the edit applies (upstream side only). */
  readonly removeAfter: readonly string[]
}

/**
 * `edit` from the config, for the way upstream (`upstream`) or back to the client;
 * `alsoRemove`: names every route removes unless it allows them (override headers).
 */
export function compileHeaderEdit (edit: { set?: Record<string, string>, remove?: string[] } | undefined,
  direction: 'upstream' | 'client', alsoRemove: readonly string[] = []): HeaderEdit {
  const remove = [...new Set([...alsoRemove, ...(edit?.remove ?? []).map((h) => h.toLowerCase())])]
  const owned = direction === 'upstream' ? GATEWAY_OWNED : new Set<string>()
  return Object.freeze({
    set: Object.freeze(Object.entries(edit?.set ?? {}).map(([k, v]) => Object.freeze([k.toLowerCase(), v] as const))),
    notCopied: new Set([...HOP_BY_HOP, ...owned, ...remove]),
    removeAfter: Object.freeze(remove.filter((name) => owned.has(name)))
  })
}

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

/** Not copied: HTTP/2 pseudo-headers (the request line, not headers), Proxy-*, the Connection header's names, `notCopied`. */
function skipped (name: string, notCopied: ReadonlySet<string>, listed: Set<string> | null): boolean {
  return name.charCodeAt(0) === 58 || notCopied.has(name) || name.startsWith('proxy-') || (listed !== null && listed.has(name))
}

function applyEdit (headers: OutgoingHeaders, edit: HeaderEdit): void {
  // Indexed loops: no iterator per request. Deleted only when present: a `delete`
  // turns the object into a slower dictionary.
  const after = edit.removeAfter
  for (let i = 0; i < after.length; i++) if (headers[after[i] as string] !== undefined) delete headers[after[i] as string]
  const set = edit.set
  for (let i = 0; i < set.length; i++) {
    const pair = set[i] as readonly [string, string]
    headers[pair[0]] = pair[1]
  }
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
  const notCopied = edit.notCopied
  for (const name in incoming) {
    if (skipped(name, notCopied, listed)) continue
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
  const notCopied = edit.notCopied
  for (const name in upstream) {
    if (skipped(name, notCopied, listed)) continue
    const value = upstream[name]
    if (value !== undefined) out[name] = value
  }
  applyEdit(out, edit)
  return out
}
