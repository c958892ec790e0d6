// The long-lived data-plane listener: a node:http(s) server whose options carry the
// edge limits (header size and count, Slowloris and keep-alive timeouts) and whose
// parse errors are answered in the same JSON shape as every other error.
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, STATUS_CODES, type Server, type ServerOptions } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import type { ServerConfig } from './config/schema.js'

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

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request headers are larger than server.maxHeaderSize'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request headers were not received in time'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Chunk extensions are too large']
}

function onClientError (err: Error & { code?: string }, socket: Duplex): void {
  const busy = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true
  if (err.code === 'ECONNRESET' || !socket.writable || busy) {
    socket.destroy()
    return
  }
  const [status, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Malformed HTTP request']
  const body = JSON.stringify({ statusCode: status, error: STATUS_CODES[status], code: 'TURNPIKE_BAD_REQUEST', message })
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}

export function createListener (server: ServerConfig): Server {
  const options = listenerOptions(server)
  const listener = server.tls === undefined
    ? createHttpServer(options)
    : createHttpsServer({ ...options, cert: readFileSync(server.tls.cert), key: readFileSync(server.tls.key) })
  // Node drops headers past maxHeadersCount silently; one over our limit lets
  // src/proxy/edge.ts see "too many" and answer 431.
  listener.maxHeadersCount = server.maxHeaderCount + 1
  listener.on('clientError', onClientError)
  return listener
}
