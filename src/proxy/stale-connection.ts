// When a failed attempt may be sent once more, and how. Two cases, one per kind of pool:
// - HTTP/1.1, the keep-alive race: an upstream closes an idle connection just as the
//   gateway sends the next request on it, and the request fails with a reset before any
//   byte of an answer. Nothing was answered, so an idempotent request can be sent once
//   more, on a new connection (another idle one of the pool may be just as stale), as
//   nginx does.
// - HTTP/2, a refused stream (RefusedStream: REFUSED_STREAM, or above a GOAWAY's last
//   stream id): the upstream provably did not process it, so it goes once more on a new
//   stream of the same pool, whatever the method. Any other HTTP/2 failure may have been
//   processed: there is no keep-alive race on a session (its peer says GOAWAY before it
//   closes), so the HTTP/1.1 rule is never applied to an HTTP/2 pool.
// Either way only a body that can be sent twice: none, or one read whole (a Buffer).
import type { ConnectionOptions } from 'node:tls'
import { Client, type Dispatcher } from 'undici'
import { Http2Dispatcher } from '../upstream/h2-dispatcher.js'
import { RefusedStream } from '../upstream/refused-stream.js'

const RESET_CODES: ReadonlySet<string> = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'])

export type StaleReplay = 'new-connection' | 'new-stream' | null

/**
 * How to send a failed attempt once more, or null for not at all. `idempotent`: the
 * method may be repeated (the HTTP/1.1 rule needs it; a refused stream does not).
 */
export function staleReplay (err: unknown, pool: Dispatcher, body: unknown, idempotent: boolean): StaleReplay {
  if (body !== null && !Buffer.isBuffer(body)) return null // a stream: what was sent is gone
  if (pool instanceof Http2Dispatcher) return err instanceof RefusedStream ? 'new-stream' : null
  return idempotent && mayBeStaleConnection(err) ? 'new-connection' : null
}

/** Whether staleReplay can say anything but null for such a request: if not, one attempt maps its own failure. */
export function mayReplay (pool: Dispatcher, body: unknown, idempotent: boolean): boolean {
  return (body === null || Buffer.isBuffer(body)) && (idempotent || pool instanceof Http2Dispatcher)
}

/**
 * A body worth reading whole before the first attempt, so it can go again: a
 * refused stream on an HTTP/2 pool is sent once more whatever the method.
 */
export function resendsRefused (pool: Dispatcher): boolean {
  return pool instanceof Http2Dispatcher
}

/**
 * A reset that may be the race. undici's SocketError says how much the connection
 * had read: nothing means it was new, so not a stale keep-alive. A bare ECONNRESET
 * carries no such detail and counts as possibly stale.
 */
function mayBeStaleConnection (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code !== 'string' || !RESET_CODES.has(code)) return false
  const socket = (err as { socket?: { bytesRead?: number } }).socket
  return socket?.bytesRead !== 0
}

/**
 * A dispatcher with a connection of its own, closed once its one request is done.
 * `connect`: the target pool's (its timeout, and its TLS settings for an https:// target).
 */
export function freshConnection (origin: string, connect: Readonly<ConnectionOptions> & { timeout?: number }): Dispatcher {
  const client = new Client(origin, { connect, pipelining: 1 })
  return {
    dispatch (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      const accepted = client.dispatch(options, handler)
      // close() lets the request in flight finish, then ends the connection.
      client.close().catch(() => undefined)
      return accepted
    }
  } as unknown as Dispatcher
}
