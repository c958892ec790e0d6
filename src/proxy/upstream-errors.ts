// Turns a failed upstream call into the status the client gets: 504 when the upstream
// was slower than the route's timeout (or could not be reached in connectTimeout),
// 413 when the client's streamed body passed the limit, 400 when its chunked body broke
// its framing before any of it went upstream, 502 for everything else
// (refused, reset, malformed response).
import { BadGatewayError, BadRequestError, BodyTooLargeError, GatewayTimeoutError } from '../errors.js'
import { BodyLimitExceeded, BodyMalformed } from './body-faults.js'

const TIMEOUT_CODES: ReadonlySet<string> = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT'])

function rootCause (err: unknown): unknown {
  let e = err
  for (let i = 0; i < 5 && e instanceof Error && e.cause !== undefined; i++) {
    if (e instanceof BodyLimitExceeded || e instanceof BodyMalformed) return e
    e = e.cause
  }
  return e
}

/** The client's streamed body passed the limit (413, never the target's fault). */
export function isBodyLimit (err: unknown): boolean {
  return err instanceof BodyLimitExceeded || rootCause(err) instanceof BodyLimitExceeded
}

/** A failure the client gets a 502 for (refused, reset, a malformed answer). */
export function isBadGateway (err: unknown): boolean {
  if (typeof err !== 'object' || err === null || typeof (err as { statusCode?: unknown }).statusCode === 'number') return false
  const code = (err as { code?: string }).code
  return !(code !== undefined && TIMEOUT_CODES.has(code)) && !isBodyLimit(err) && !isBodyMalformed(err)
}

/** The client's chunked body broke its framing before any of it went upstream (400, never the target's fault). */
export function isBodyMalformed (err: unknown): boolean {
  return err instanceof BodyMalformed || rootCause(err) instanceof BodyMalformed
}

export function upstreamError (err: unknown, upstream: string, timeoutMs: number, bodyLimit: number): Error {
  const code = (err as { code?: string }).code
  if (code !== undefined && TIMEOUT_CODES.has(code)) return new GatewayTimeoutError(upstream, timeoutMs)
  if (isBodyLimit(err)) return new BodyTooLargeError(bodyLimit)
  if (isBodyMalformed(err)) return new BadRequestError('Malformed request body')
  const reason = code ?? (err instanceof Error ? err.message : String(err))
  return new BadGatewayError(upstream, reason)
}
