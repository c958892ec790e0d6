// The answer to a connection over a limit: a complete HTTP/1.1 response written before
// any request byte is read (the peer address decides, not a header), then a lingering
// close as nginx does it: our side ends, whatever the client still sends is read and
// dropped, and the socket goes when the client closes or the deadline passes. Closing
// with the client's request unread would reset the connection and could take the
// answer with it.
import type { Duplex } from 'node:stream'
import { bodyOf, rawErrorResponse } from '../error-body.js'
import { GatewayFullError, TooManyConnectionsError } from '../errors.js'

/** Long enough for a TLS handshake and the client reading the answer; a refused peer holds no more. */
export const REFUSAL_DEADLINE_MS = 5000

/** Seconds a refused client should wait: connections free up as soon as others close. */
const RETRY_AFTER_SECONDS = 1

function response (error: { statusCode?: number, code: string, message: string }): Buffer {
  return Buffer.from(rawErrorResponse(bodyOf(error), `Retry-After: ${RETRY_AFTER_SECONDS}\r\n`))
}

/** Constant bytes, made once: a refusal costs one write. */
export const REFUSALS = {
  'per-ip': response(new TooManyConnectionsError()),
  total: response(new GatewayFullError())
} as const

const destroy = function (this: Duplex): void { this.destroy() }

/** Writes the refusal, ends our side and drains the client until it closes. */
export function refuse (socket: Duplex, answer: Buffer): void {
  socket.on('error', destroy)
  socket.once('end', destroy)
  socket.end(answer)
  socket.resume()
}

/** Destroys `socket` at the deadline unless it closed before. */
export function deadline (socket: Duplex): void {
  const timer = setTimeout(() => { socket.destroy() }, REFUSAL_DEADLINE_MS).unref()
  socket.once('close', () => { clearTimeout(timer) })
}
