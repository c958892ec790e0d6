// What may be served from and stored in the shared cache (RFC 9111
// read conservatively: when in doubt, do not store). The exact rules are listed in
// docs/security.md; the tests in test/cache-policy.test.ts lock them.
import { deltaSeconds, parseCacheControl } from './cache-control.js'
import { varyNames } from '../proxy/vary.js'

/** Statuses cacheable by default (RFC 9110 §15.1); anything else is never stored. */
export const CACHEABLE_STATUSES: ReadonlySet<number> = new Set([200, 203, 204, 300, 301, 404, 405, 410, 414, 501])

/**
 * What a GET/HEAD request's own Cache-Control allows:
 * `lookup` — serve from the cache, store the answer on a miss;
 * `refresh` — `no-cache`, `max-age=0` (or `Pragma: no-cache`): go upstream, but the
 *   answer may replace the stored entry (it is the fresh one the client asked for);
 * `no-store` — go upstream and store nothing.
 */
export type RequestMode = 'lookup' | 'refresh' | 'no-store'

type HeaderValue = string | string[] | number | undefined

export function requestMode (cacheControl: HeaderValue, pragma: HeaderValue): RequestMode {
  if (cacheControl === undefined) {
    return pragma !== undefined && String(pragma).toLowerCase().includes('no-cache') ? 'refresh' : 'lookup'
  }
  const directives = parseCacheControl(cacheControl)
  if (directives.has('no-store')) return 'no-store'
  if (directives.has('no-cache') || deltaSeconds(directives, 'max-age') === 0) return 'refresh'
  return 'lookup'
}

/** Request headers that carry credentials, lower-case. */
export function credentialHeaders (apiKeyHeader: string | undefined): readonly string[] {
  const names = new Set(['authorization', 'x-api-key'])
  if (apiKeyHeader !== undefined) names.add(apiKeyHeader.toLowerCase())
  return [...names]
}

export interface StoreDecision {
  /** How long the entry stays fresh from now, in ms (the upstream's Age already taken off). */
  readonly ttlMs: number
  /** The upstream's Age, in seconds: a hit adds its own time in the cache to it. */
  readonly upstreamAge: number
  /** Lower-case request header names the answer varies on; empty when none. */
  readonly vary: readonly string[]
}

/**
 * Whether an upstream answer to a GET may be stored, and for how long. `headers` are
 * the response headers as the client gets them (after the route's header edits);
 * `defaultTtlMs` is the route's `cache.ttl`, used when the upstream gives no freshness.
 */
export function storeDecision (status: number, headers: Readonly<Record<string, HeaderValue>>,
  defaultTtlMs: number, maxBodySize: number, now: number): StoreDecision | null {
  if (!CACHEABLE_STATUSES.has(status)) return null
  if (headers['set-cookie'] !== undefined) return null
  const contentType = headers['content-type']
  if (contentType !== undefined && String(contentType).toLowerCase().startsWith('text/event-stream')) return null
  const length = headers['content-length']
  if (length !== undefined && Number(length) > maxBodySize) return null
  const cc = parseCacheControl(headers['cache-control'])
  if (cc.has('no-store') || cc.has('private') || cc.has('no-cache')) return null
  const vary = varyNames(headers.vary)
  if (vary === null) return null
  const seconds = deltaSeconds(cc, 's-maxage') ?? deltaSeconds(cc, 'max-age') ?? expiresSeconds(headers, now)
  const ageHeader = headers.age
  const upstreamAge = ageHeader !== undefined && /^\d+$/.test(String(ageHeader)) ? Number(ageHeader) : 0
  const freshMs = seconds === undefined ? defaultTtlMs : seconds * 1000
  const ttlMs = freshMs - upstreamAge * 1000
  if (ttlMs <= 0) return null
  return { ttlMs, upstreamAge, vary }
}

/** Freshness from Expires (relative to the upstream's Date); an unparsable Expires means already stale. */
function expiresSeconds (headers: Readonly<Record<string, HeaderValue>>, now: number): number | undefined {
  const expires = headers.expires
  if (expires === undefined) return undefined
  const at = Date.parse(String(expires))
  if (Number.isNaN(at)) return 0
  const date = headers.date === undefined ? NaN : Date.parse(String(headers.date))
  return Math.max(0, Math.floor((at - (Number.isNaN(date) ? now : date)) / 1000))
}
