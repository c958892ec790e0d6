// Requests that take the socket away from Node's HTTP parser (an Upgrade or a CONNECT)
// are emitted the moment their headers are parsed, even when they were pipelined
// behind other requests whose responses are still on their way. Writing on the socket
// then would put our bytes in the middle of an earlier answer (or, through a new
// ServerResponse, throw ERR_HTTP_SOCKET_ASSIGNED). This waits for the earlier
// responses to finish, as HTTP/1.1 pipelining requires answers in order.
import type { ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'

interface HttpSocket extends Duplex {
  /** The response that currently owns the socket (Node sets and clears it). */
  _httpMessage?: ServerResponse | null
}

function ownerOf (socket: Duplex): ServerResponse | null {
  return (socket as HttpSocket)._httpMessage ?? null
}

/**
 * Calls `next` once no earlier response owns `socket` (at once when none does). Never
 * calls it when the connection ends first: an earlier response with
 * `Connection: close` (a refusal, an HTTP/1.0 request) means the bytes after it are
 * never a request, exactly as for any pipelined request behind it.
 */
export function afterEarlierResponses (socket: Duplex, next: () => void): void {
  const first = ownerOf(socket)
  if (first === null) {
    next()
    return
  }
  // Node took its own 'drain' relay off the socket when it handed the socket over;
  // without this, an earlier response larger than the socket buffer would stall.
  const relayDrain = (): void => { ownerOf(socket)?.emit('drain') }
  const done = (): void => {
    socket.off('drain', relayDrain)
    socket.off('close', done)
  }
  const waitFor = (res: ServerResponse): void => {
    // Registered after Node's own 'finish' handler, which detaches the socket and
    // either hands it to the next queued response or ends it.
    res.once('finish', () => {
      if (socket.destroyed || socket.writableEnded) {
        done()
        return
      }
      const owner = ownerOf(socket)
      if (owner !== null) {
        waitFor(owner)
        return
      }
      done()
      next()
    })
  }
  socket.on('drain', relayDrain)
  socket.once('close', done)
  waitFor(first)
}
