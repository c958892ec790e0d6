// HTTP/2 to clients, on the data-plane port that HTTP/1.1 already serves.
// - Over TLS, ALPN decides: a socket that negotiated `h2` goes to the HTTP/2 server,
//   any other to the HTTP/1.1 server's own 'secureConnection' handling.
// - In cleartext, the connection preface decides (h2c with prior knowledge, RFC 9113
//   §3.3): the first bytes are read; `PRI * HTTP/2.0…` goes to the HTTP/2 server, anything
//   else back to the HTTP/1.1 parser, with those bytes put back in front of the stream.
// Why not http2.createSecureServer({ allowHTTP1 }): its HTTP/1.1 fallback runs Node's
// HTTP/1 connection handling with the http2 server's settings, and the gateway's
// HTTP/1.1 edge (timeouts, parse errors, checkContinue, CONNECT, upgrades, header
// limits, src/listener.ts) is configured on an http.Server; and it has no cleartext
// counterpart. One plain Http2Server (it never listens) takes both kinds of sockets:
// Node documents injecting connections with its 'connection' event, and it opens a
// session on a TLS socket as on a TCP one.
// The HTTP/2 server's 'request' (compat) events go to the same handler as HTTP/1.1
// requests: the current generation's Fastify handler, so a reload is the same swap.
import { createServer as createHttp2Server, type Http2Server, type ServerHttp2Session, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2'
import type { Server as NetServer, Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { Logger } from 'pino'
import type { ServerConfig } from '../config/schema.js'
import { http2Options } from './session-limits.js'
import { RapidResetGuard } from './rapid-reset.js'

type Handler = (socket: Socket) => void
export type Http2RequestHandler = (req: Http2ServerRequest, res: Http2ServerResponse) => void

/** The client connection preface's first line: enough to tell HTTP/2 from any HTTP/1 request line. */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n')

/** Takes the listeners a server registered for `event` off it and returns one function calling them. */
function takeHandlers (server: NetServer, event: string): Handler {
  const handlers = server.listeners(event) as Handler[]
  server.removeAllListeners(event)
  return (socket) => { for (const h of handlers) h.call(server, socket) }
}

export class Http2Front {
  readonly server: Http2Server
  private readonly sessions = new Set<ServerHttp2Session>()
  private idleMs: number
  private prefaceMs: number
  private closing = false

  constructor (config: ServerConfig, private readonly logger: Logger, handler: Http2RequestHandler) {
    this.server = createHttp2Server(http2Options(config))
    this.idleMs = config.timeouts.keepAlive
    this.prefaceMs = config.timeouts.requestHeader
    this.server.on('request', handler)
    this.server.on('session', (session) => { this.opened(session) })
    this.server.on('sessionError', (err: Error & { code?: string }) => {
      this.logger.debug({ code: err.code, reason: err.message }, 'HTTP/2 session error')
    })
  }

  /** Puts the protocol choice in front of `listener`'s own connection handling. Before the connection gate. */
  attach (listener: NetServer, tls: boolean): void {
    if (tls) {
      const http1 = takeHandlers(listener, 'secureConnection')
      listener.on('secureConnection', (socket: TLSSocket) => {
        if (socket.alpnProtocol === 'h2') this.server.emit('connection', socket)
        else http1(socket)
      })
      return
    }
    const http1 = takeHandlers(listener, 'connection')
    listener.on('connection', (socket: Socket) => { this.sniff(socket, http1) })
  }

  /** The settings a reload may change (the rest need a restart). */
  configure (config: ServerConfig): void {
    this.idleMs = config.timeouts.keepAlive
    this.prefaceMs = config.timeouts.requestHeader
  }

  /**
   * Shutdown: every session gets GOAWAY; the streams it already has finish, no new
   * ones are accepted, and the session closes when its last stream is done.
   */
  goaway (): void {
    this.closing = true
    for (const session of this.sessions) session.close()
  }

  get openSessions (): number {
    return this.sessions.size
  }

  private opened (session: ServerHttp2Session): void {
    if (this.closing) {
      session.close()
      return
    }
    this.sessions.add(session)
    session.once('close', () => { this.sessions.delete(session) })
    // keepAlive for HTTP/2: a session with no stream for that long is closed (GOAWAY).
    if (this.idleMs > 0) session.setTimeout(this.idleMs, () => { session.close() })
    const guard = new RapidResetGuard(session, this.logger)
    session.on('stream', (stream) => { guard.watch(stream) })
  }

  private sniff (socket: Socket, http1: Handler): void {
    let seen: Buffer | null = null
    // A client that sends nothing holds a socket no parser knows of yet: the header timeout applies.
    const timer = setTimeout(() => { socket.destroy() }, this.prefaceMs)
    const cleanup = (): void => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('error', onError)
    }
    const onError = (): void => {
      cleanup()
      socket.destroy()
    }
    const onData = (chunk: Buffer): void => {
      seen = seen === null ? chunk : Buffer.concat([seen, chunk])
      const n = Math.min(seen.length, PREFACE.length)
      const h2 = seen.compare(PREFACE, 0, n, 0, n) === 0
      if (h2 && seen.length < PREFACE.length) return // a prefix of the preface so far: wait for more
      cleanup()
      socket.pause()
      socket.unshift(seen)
      // The HTTP/2 session takes the socket's buffered bytes and then its handle itself;
      // the HTTP/1.1 parser reads the stream, which flows again.
      if (h2) {
        this.server.emit('connection', socket)
        return
      }
      http1(socket)
      socket.resume()
    }
    socket.on('data', onData)
    socket.on('error', onError)
  }
}
