// The one shape of every error answer the gateway gives, data plane and admin alike:
// `{statusCode, error, code, message, requestId}` (Fastify's, with the request id the
// client can quote). Fastify's error handlers send the object; an answer written
// straight on a socket (before any request was read, so without requestId) is its HTTP
// text, built here too so the two cannot drift apart.
import { STATUS_CODES } from 'node:http'

export interface ErrorBody {
  readonly statusCode: number
  readonly error: string
  readonly code: string
  readonly message: string
  readonly requestId?: string
}

export function errorBody (statusCode: number, code: string, message: string, requestId?: string): ErrorBody {
  const error = STATUS_CODES[statusCode] ?? 'Error'
  return requestId === undefined ? { statusCode, error, code, message } : { statusCode, error, code, message, requestId }
}

/** What a catalogue error (src/errors.ts) says, in the shape above. */
export function bodyOf (err: { readonly statusCode?: number, readonly code: string, readonly message: string }, requestId?: string): ErrorBody {
  return errorBody(err.statusCode ?? 500, err.code, err.message, requestId)
}

/**
 * A complete HTTP/1.1 error response for a socket no ServerResponse owns, after which
 * the connection closes. `headers`: more header lines, each ending in CRLF.
 */
export function rawErrorResponse (body: ErrorBody, headers = ''): string {
  const json = JSON.stringify(body)
  return `HTTP/1.1 ${body.statusCode} ${body.error}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(json)}\r\n${headers}Connection: close\r\n\r\n${json}`
}
