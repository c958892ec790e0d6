// The last line of defence between Node's HTTP server and our code. Node calls the
// listeners of 'request', 'checkContinue', 'upgrade', 'connect' and 'clientError'
// synchronously from its socket handling; an exception thrown there is uncaught and
// ends the process, i.e. every connection of every client. Each of those listeners
// runs its work through `run`: a throw is logged, counted
// (turnpike_internal_errors_total{event}) and answered 500 for the one request or
// connection it came from, and the gateway carries on.
//
// Still fatal (docs/security.md): a throw outside these entry points that Node
// delivers to no handler of ours, e.g. an 'error' event on a stream nobody listens to
// or a throw inside a timer callback. Those are bugs to fix, not states to run on.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { bodyOf, rawErrorResponse } from '../error-body.js'
import { InternalError } from '../errors.js'
import type { GatewayMetrics } from '../metrics.js'

export type SocketEvent = 'request' | 'checkContinue' | 'upgrade' | 'connect' | 'clientError'

const ANSWER = Object.freeze(bodyOf(new InternalError()))
const BODY = JSON.stringify(ANSWER)

function ownerOf (socket: Duplex): ServerResponse | null {
  return (socket as { _httpMessage?: ServerResponse | null })._httpMessage ?? null
}

export class LastDefence {
  constructor (private readonly logger: Logger, private readonly metrics: GatewayMetrics) {}

  /**
   * A 'request' or 'checkContinue' listener that cannot throw; made once, so the hot
   * path allocates nothing for it.
   */
  guard (event: 'request' | 'checkContinue', handler: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      try {
        handler(req, res)
      } catch (err) {
        this.caught(event, err, req.socket, res)
      }
    }
  }

  /**
   * Runs `work` for one request (or one connection's parse error); `res` is the
   * request's response when Node made one. Never throws.
   */
  run (event: SocketEvent, socket: Duplex, res: ServerResponse | null, work: () => void): void {
    try {
      work()
    } catch (err) {
      this.caught(event, err, socket, res)
    }
  }

  private caught (event: SocketEvent, err: unknown, socket: Duplex, res: ServerResponse | null): void {
    this.metrics.countInternalError(event)
    this.logger.error({ err, event }, 'internal error while handling a request: answered 500, the gateway carries on')
    try {
      this.answer(socket, res ?? ownerOf(socket))
    } catch {
      socket.destroy()
    }
  }

  private answer (socket: Duplex, res: ServerResponse | null): void {
    if (res !== null && !res.headersSent) {
      res.shouldKeepAlive = false
      res.writeHead(500, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(BODY),
        connection: 'close'
      })
      res.end(BODY)
      return
    }
    // An answer already begun cannot be replaced by a clean one: cut the connection.
    if (res === null && socket.writable && !socket.destroyed) {
      socket.end(rawErrorResponse(ANSWER))
      return
    }
    socket.destroy()
  }
}
