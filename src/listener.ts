// The long-lived data-plane listener: a node:http(s) server whose options carry the
// edge limits (header size and count, Slowloris and keep-alive timeouts) and whose
// parse errors are answered in the same JSON shape as every other error.
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import type { ServerConfig } from './config/schema.js'
import { afterEarlierResponses } from './edge/in-turn.js'
import type { LastDefence } from './edge/last-defence.js'
import { methodOf, refusal, requestBytes, type ParseError } from './edge/parse-error.js'
import { answerOnSocket as answer } from './edge/raw-answer.js'
import { deferContinue, refuseBody } from './proxy/request-body.js'
import { DEFAULT_METHODS } from './routing/compiled-route.js'

export function listenerOptions (server: ServerConfig): ServerOptions {
  const t = server.timeouts
  return {
    maxHeaderSize: server.maxHeaderSize,
    headersTimeout: t.request > 0 ? Math.min(t.requestHeader, t.request) : t.requestHeader,
    requestTimeout: t.request,
    keepAliveTimeout: t.keepAlive,
    // Node checks the timeouts above on this interval (30 s by default, far too coarse
    // to cut a Slowloris client at requestHeader).
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(t.requestHeader / 4))),
    requireHostHeader: false, // answered by src/proxy/edge.ts, in JSON and logged
    joinDuplicateHeaders: false,
    noDelay: true
  }
}

/** Applies the timeouts that a running server can change (the rest need a restart). */
export function applyTimeouts (target: Server, server: ServerConfig): void {
  const o = listenerOptions(server)
  target.headersTimeout = o.headersTimeout as number
  target.requestTimeout = o.requestTimeout as number
  target.keepAliveTimeout = o.keepAliveTimeout as number
}

/** Told of every answer the listener writes itself, so that it is counted and logged like any other. */
export interface RawAnswerLog {
  answered (socket: Duplex, method: string, status: number, code: string): void
}

/** Connections whose parse error has been dealt with: Node reports every later chunk again. */
const settled = new WeakSet<Duplex>()
/** The last request Node dispatched on each connection: the one a body error belongs to. */
const lastRequest = new WeakMap<object, IncomingMessage>()

/** Lets the response in flight finish, then closes the connection. */
function closeAfter (res: ServerResponse, socket: Duplex): void {
  if (!res.headersSent) res.shouldKeepAlive = false
  else res.once('finish', () => { socket.end() })
}

function onClientError (err: ParseError, socket: Duplex, log: RawAnswerLog): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  if (settled.has(socket)) return
  settled.add(socket)
  const inFlight = (socket as { _httpMessage?: ServerResponse | null })._httpMessage ?? null
  const current = lastRequest.get(socket)
  const inBody = current !== undefined && !current.complete
  // Why: Node dispatches each request once its headers are in, so a parse error may
  // come while a response is still on its way. Node would then write a 400 that the
  // client reads as the answer to that earlier request (which may already have
  // reached the upstream) and destroy the socket under it. Instead, as nginx: when
  // the error lies after complete requests (a pipelined request, or any byte after
  // `Connection: close`: HPE_CLOSED_CONNECTION), answer what came before and close;
  // when it lies in the body of a request whose body has not gone upstream yet, that
  // request is refused with 400 (request-body.ts) and the connection closes after it.
  // Either way the bad bytes are never a request. A body already streaming upstream
  // is cut when the connection closes, which aborts that upstream request.
  if (inFlight !== null) {
    if (!inBody || refuseBody(current) || inFlight.req !== current) {
      closeAfter(inFlight, socket)
      return
    }
    // The request being answered has a broken body and its response has begun: no
    // clean answer is possible any more.
    if (inFlight.headersSent) {
      socket.destroy()
      return
    }
  }
  const bytes = requestBytes(err)
  const [status, code, message] = refusal(err, bytes)
  answer(socket, status, code, message)
  log.answered(socket, methodOf(bytes), status, code)
}

/**
 * A CONNECT request (authority-form target) asks for a tunnel to any host: never ours
 * to give. Without a listener Node drops the connection without a word; answer it the
 * way nginx does, 405. Node emits it as soon as its headers are parsed, even behind
 * pipelined requests still being answered: the 405 waits for their answers, so it never
 * replaces or splits one of them.
 */
function onConnect (socket: Duplex, defence: LastDefence, log: RawAnswerLog): void {
  // Node took its own error handler off the socket when it emitted 'connect'.
  socket.on('error', () => { socket.destroy() })
  afterEarlierResponses(socket, () => {
    defence.run('connect', socket, null, () => {
      answer(socket, 405, 'TURNPIKE_METHOD_NOT_ALLOWED', 'CONNECT is not supported', `Allow: ${DEFAULT_METHODS.join(', ')}\r\n`)
      log.answered(socket, 'CONNECT', 405, 'TURNPIKE_METHOD_NOT_ALLOWED')
    })
  })
}

export function createListener (server: ServerConfig, defence: LastDefence, log: RawAnswerLog): Server {
  const options = listenerOptions(server)
  const listener = server.tls === undefined
    ? createHttpServer(options)
    : createHttpsServer({ ...options, cert: readFileSync(server.tls.cert), key: readFileSync(server.tls.key) })
  // Node drops headers past maxHeadersCount silently; one over our limit lets
  // src/proxy/edge.ts see "too many" and answer 431.
  listener.maxHeadersCount = server.maxHeaderCount + 1
  listener.on('request', (req: IncomingMessage) => { lastRequest.set(req.socket, req) })
  listener.on('clientError', (err: Error, socket: Duplex) => {
    defence.run('clientError', socket, null, () => { onClientError(err, socket, log) })
  })
  listener.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    defence.run('connect', socket, null, () => { onConnect(socket, defence, log) })
  })
  // Why: without a 'checkContinue' listener Node answers `Expect: 100-continue` with an
  // immediate 100, before routing, auth or the body limit have looked at the request,
  // so the client uploads a body that is then refused. The 100 now goes out only when
  // the body is actually wanted upstream (src/proxy/request-body.ts), as nginx does;
  // a request refused earlier gets its final status and Node closes the connection.
  listener.on('checkContinue', defence.guard('checkContinue', (req, res) => {
    deferContinue(req, res)
    listener.emit('request', req, res)
  }))
  return listener
}
