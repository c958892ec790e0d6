// Cache keys. The primary key names what was asked for, whatever the method (GET and
// HEAD share it): route, scheme, host, normalized path and the query as sent. The
// scheme and the host the upstream is told (X-Forwarded-Proto/-Host) are in the key,
// since upstreams build redirects and links from them: an http→https redirect, or a
// link to a Host header an attacker chose, must not be served under another key.
// An answer with Vary is stored under a variant key that adds the values of the
// request headers it names, so callers differing in them never see each other's answer.
//
// Header values cannot hold NUL or newlines (Node refuses them), so these separators cannot be forged.
import type { IncomingHttpHeaders } from 'node:http'

/**
 * `host` is the one routing matched on; `forwardedHost` the one sent upstream in
 * X-Forwarded-Host (they differ for an absolute-form request, or behind a trusted proxy).
 */
export function primaryKey (route: string, proto: string, host: string, forwardedHost: string, path: string, query: string): string {
  const hosts = forwardedHost === host ? host : `${host}\n${forwardedHost}`
  return `${route}\n${proto}://${hosts}\n${path}${query}`
}

export function variantKey (primary: string, names: readonly string[], headers: IncomingHttpHeaders): string {
  let key = primary + '\n'
  for (const name of names) {
    const value = headers[name]
    // An absent header and an empty one are different requests.
    key += value === undefined ? `\0${name}` : `\0${name}:${normalize(value)}`
  }
  return key
}

/** Whitespace that does not change a header's meaning is not part of the key. */
function normalize (value: string | string[]): string {
  const text = Array.isArray(value) ? value.join(', ') : value
  return text.trim().replace(/\s*,\s*/g, ',').replace(/\s+/g, ' ')
}
