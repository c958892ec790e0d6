// The keep-alive race: an upstream closes an idle connection just as the gateway sends
// the next request on it, and the request fails with a reset before any byte of an
// answer. Nothing was answered, so an idempotent request can be sent once more, on a
// new connection (another idle one of the pool may be just as stale), as nginx does.
import type { ConnectionOptions } from 'node:tls'
import { Client, type Dispatcher } from 'undici'

const RESET_CODES: ReadonlySet<string> = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'])

/**
 * A reset that may be the race. undici's SocketError says how much the connection
 * had read: nothing means it was new, so not a stale keep-alive. A bare ECONNRESET
 * carries no such detail and counts as possibly stale.
 */
export function mayBeStaleConnection (err: unknown): boolean {
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
