// One poll of a gateway's admin GET /stats. Every failure (refused, timed out, an error
// status, a body that is not GatewayStats) comes back as a one-line reason for the status
// line, never as a throw: `turnpike top` keeps retrying whatever the other side does.
import { request } from 'undici'
import type { GatewayStats } from '../../stats/types.js'

export type Poll =
  | { readonly ok: true, readonly stats: GatewayStats }
  | { readonly ok: false, readonly error: string }

export interface AdminTarget {
  /** The admin server's base URL; a path prefix (behind a reverse proxy) is kept. */
  readonly url: string
  /** Sent as `Authorization: Bearer` when set, for an admin API behind an authenticating proxy. */
  readonly token?: string
  readonly timeoutMs: number
}

export async function pollStats (admin: AdminTarget): Promise<Poll> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (admin.token !== undefined && admin.token !== '') headers.authorization = `Bearer ${admin.token}`
  let status: number
  let text: string
  try {
    const res = await request(statsUrl(admin.url), { headers, headersTimeout: admin.timeoutMs, bodyTimeout: admin.timeoutMs })
    status = res.statusCode
    text = await res.body.text()
  } catch (err) {
    return { ok: false, error: describeFailure(err, admin.timeoutMs) }
  }
  if (status !== 200) return { ok: false, error: `GET /stats answered ${status}${reason(text)}` }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return { ok: false, error: 'GET /stats answered something that is not JSON' }
  }
  if (!looksLikeStats(body)) return { ok: false, error: 'GET /stats answered JSON that is not gateway stats (version mismatch?)' }
  return { ok: true, stats: body }
}

export function statsUrl (base: string): string {
  return base.replace(/\/+$/, '') + '/stats'
}

function describeFailure (err: unknown, timeoutMs: number): string {
  const code = (err as { code?: string }).code
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return `no answer within ${timeoutMs}ms`
  if (code !== undefined && /^E[A-Z]+$/.test(code)) return `unreachable (${code})`
  return `unreachable (${err instanceof Error ? err.message : String(err)})`
}

/** The error body's message, when the admin server sent its usual JSON error. */
function reason (text: string): string {
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message
    return typeof message === 'string' ? `: ${message}` : ''
  } catch {
    return ''
  }
}

/**
 * Enough of the shape that rendering cannot trip over a missing field. Not a full schema
 * check: a newer gateway may add fields, and the renderer reads only these.
 */
function looksLikeStats (body: unknown): body is GatewayStats {
  if (typeof body !== 'object' || body === null) return false
  const b = body as Record<string, unknown>
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null
  return typeof b.version === 'string' &&
    typeof b.uptimeSeconds === 'number' &&
    obj(b.requests) && obj(b.requests.byClass) &&
    obj(b.connections) &&
    Array.isArray(b.routes) &&
    obj(b.upstreams) && Object.values(b.upstreams).every((u) => obj(u) && Array.isArray(u.targets)) &&
    Array.isArray(b.reloads) &&
    obj(b.policies) && obj(b.policies.cache)
}
