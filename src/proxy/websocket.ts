// WebSocket routes: the upgrade request goes through the same hooks as any request
// (so IP rules, auth and rate limits apply to the handshake), then the upstream's
// handshake is relayed and the two sockets are joined byte for byte, as nginx does.
// We tunnel rather than terminate (@fastify/websocket terminates): frames, close
// codes, subprotocol and extension negotiation all stay the upstream's own.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { Readable, type Duplex } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Dispatcher } from 'undici'
import { BadRequestError, UpgradeRequiredError } from '../errors.js'
import type { CompiledRoute } from '../routing/compiled-route.js'
import type { Upstream } from '../upstream/upstream-set.js'
import { headersFor, pickTarget, upstreamPath, type ForwardSettings } from './attempt.js'
import { clientResponseHeaders, type OutgoingHeaders } from './headers.js'
import { upstreamError } from './upstream-errors.js'

/** Bytes that arrived after the upgrade request's headers, kept by the listener. */
export const UPGRADE_HEAD = Symbol('turnpike.upgradeHead')

/**
 * Once one side of a tunnel has closed, how long the other may take to flush what is
 * queued for it and close too (nginx's lingering_timeout) before it is cut.
 */
const LINGER_MS = 5000

/** Bytes a client may send before the upstream has accepted its handshake. */
const MAX_EARLY = 64 * 1024

interface UpgradeRequest extends IncomingMessage {
  [UPGRADE_HEAD]?: Buffer
}

/** A WebSocket handshake that arrived through the listener's 'upgrade' event. */
export function isUpgrade (request: FastifyRequest): boolean {
  return (request.raw as UpgradeRequest)[UPGRADE_HEAD] !== undefined &&
    request.method === 'GET' &&
    request.headers.upgrade?.toLowerCase() === 'websocket'
}

/**
 * The body of a request that came through the listener's 'upgrade' event but is not
 * tunnelled (a POST with `Upgrade: h2c`, as some HTTP/2-capable clients send): Node
 * has ended `req` empty and left the body in the head buffer and the socket. This
 * reads `length` bytes from there; null for a request that was no upgrade. Without
 * Node's parser a chunked body there cannot be decoded, so that is refused (400).
 */
export function bodyAfterUpgrade (req: IncomingMessage, length: number | null): Readable | null {
  const head = (req as UpgradeRequest)[UPGRADE_HEAD]
  if (head === undefined) return null
  if (length === null) throw new BadRequestError('A chunked request body cannot come with an Upgrade header')
  const socket = req.socket
  let left = length
  const body = new Readable({ read () { if (left > 0) socket.resume() } })
  const take = (chunk: Buffer): void => {
    const part = chunk.subarray(0, left)
    left -= part.length
    if (left === 0) {
      socket.off('data', take)
      socket.off('close', cut)
      socket.pause()
    }
    if (part.length > 0 && !body.push(part) && left > 0) socket.pause()
    if (left === 0) body.push(null)
  }
  const cut = (): void => { body.destroy(new Error('the client closed the connection before sending the whole body')) }
  take(head)
  if (left > 0) {
    socket.on('data', take)
    socket.once('close', cut)
  }
  return body
}

/** The upstream's answer to the handshake: a socket to join, or an HTTP refusal to relay. */
type Handshake =
  | { readonly upgraded: true, readonly headers: IncomingHttpHeaders, readonly socket: Duplex, readonly early: Buffer[] }
  | { readonly upgraded: false, readonly statusCode: number, readonly headers: IncomingHttpHeaders, readonly body: Readable }

/**
 * Reads the client's socket while the upstream handshake is pending, so a client that
 * leaves is noticed at once (an unread socket never reports its peer's FIN or RST).
 * Bytes it sends early are kept for the upstream, up to MAX_EARLY; past that the socket
 * is simply no longer read until the tunnel is joined.
 */
function watchClient (client: Socket, gone: () => void): () => Buffer[] {
  const early: Buffer[] = []
  let bytes = 0
  const collect = (chunk: Buffer): void => {
    early.push(chunk)
    bytes += chunk.length
    if (bytes > MAX_EARLY) client.pause()
  }
  client.on('data', collect)
  client.once('end', gone)
  client.once('close', gone)
  return () => {
    client.off('data', collect)
    client.off('end', gone)
    client.off('close', gone)
    client.pause()
    return early
  }
}

/**
 * Sends the handshake upstream. undici's `upgrade()` turns any non-101 answer into a
 * "bad upgrade" error; an upstream's own refusal (401, 403, 426…) must reach the client
 * as it was sent, so this dispatches with a handler that takes either outcome.
 */
async function handshakeUpstream (pool: Dispatcher, options: Dispatcher.DispatchOptions, client: Socket): Promise<Handshake> {
  return await new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | null = null
    let body: Readable | null = null
    let left = false
    const clientGone = (): void => {
      left = true
      controller?.abort(new Error('the client closed the connection during the handshake'))
    }
    const unwatch = watchClient(client, clientGone)
    let early: Buffer[] | null = null
    const settle = (): boolean => {
      if (early !== null) return false
      early = unwatch()
      return true
    }
    pool.dispatch(options, {
      onRequestStart (c) {
        controller = c
        if (left || client.destroyed) clientGone()
      },
      onRequestUpgrade (_c, _status, headers, socket) {
        if (settle()) resolve({ upgraded: true, headers, socket, early: early as Buffer[] })
        else socket.destroy()
      },
      onResponseStart (c, statusCode, headers) {
        body = new Readable({ read () { c.resume() } })
        if (settle()) resolve({ upgraded: false, statusCode, headers, body })
      },
      onResponseData (c, chunk) {
        if (body?.push(chunk) === false) c.pause()
      },
      onResponseEnd () {
        body?.push(null)
      },
      onResponseError (_c, err) {
        if (settle()) reject(err)
        else body?.destroy(err)
      }
    })
  })
}

/** The 101 as the client gets it: the upstream's headers, edited like any response. */
function switchingProtocols (upstream: IncomingHttpHeaders, route: CompiledRoute, requestId: string): string {
  const headers: OutgoingHeaders = clientResponseHeaders(upstream, route.responseHeaders)
  headers.upgrade = upstream.upgrade ?? 'websocket'
  headers.connection = 'Upgrade'
  headers['x-request-id'] = requestId
  let head = 'HTTP/1.1 101 Switching Protocols\r\n'
  for (const name in headers) {
    const value = headers[name] as string | string[]
    for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`
  }
  return head + '\r\n'
}

/**
 * Pipes the two sockets into each other. A clean close on one side ends the other once
 * its queued bytes are flushed (so the last frames and the close frame are not lost);
 * an error on either side, or a peer that lingers past LINGER_MS, cuts both.
 */
function join (client: Socket, upstream: Duplex): void {
  client.setTimeout(0)
  client.setNoDelay(true)
  let linger: NodeJS.Timeout | undefined
  const cut = (): void => {
    clearTimeout(linger)
    client.destroy()
    upstream.destroy()
  }
  const closed = (other: Duplex) => (): void => {
    if (other.destroyed) {
      clearTimeout(linger)
      return
    }
    other.end()
    linger ??= setTimeout(cut, LINGER_MS).unref()
  }
  client.on('error', cut)
  upstream.on('error', cut)
  client.on('close', closed(upstream))
  upstream.on('close', closed(client))
  upstream.pipe(client)
  client.pipe(upstream)
}

/** base64 of 16 bytes (RFC 6455 §4.1): 22 characters and `==`. */
const WEBSOCKET_KEY = /^[A-Za-z0-9+/]{21}[AQgw]==$/

/**
 * The handshake is checked here, as nginx and HAProxy do, so that a malformed one
 * never costs an upstream connection: a missing or malformed Sec-WebSocket-Key is 400,
 * a version other than 13 is 426 with the version we speak (RFC 6455 §4.2.2).
 */
function checkHandshake (request: FastifyRequest, reply: FastifyReply): void {
  const version = request.headers['sec-websocket-version']
  if (version?.trim() !== '13') {
    reply.header('sec-websocket-version', '13')
    throw new UpgradeRequiredError('Only WebSocket version 13 is supported')
  }
  const key = request.headers['sec-websocket-key']
  if (key === undefined || !WEBSOCKET_KEY.test(key.trim())) throw new BadRequestError('Missing or malformed Sec-WebSocket-Key')
}

export async function tunnel (request: FastifyRequest, reply: FastifyReply, route: CompiledRoute,
  upstream: Upstream, settings: ForwardSettings): Promise<FastifyReply | undefined> {
  checkHandshake(request, reply)
  const req = request.raw
  const client = req.socket
  const target = pickTarget(request, reply, upstream)
  const headers = headersFor(request, route, target, settings)
  const span = request.turnpike.trace === null ? null : request.turnpike.trace.attempt(request, route, target, headers)
  let answer: Handshake
  try {
    answer = await handshakeUpstream(target.state.pool, {
      path: upstreamPath(request, route),
      method: 'GET',
      headers,
      upgrade: 'websocket',
      headersTimeout: route.config.timeout
    }, client)
  } catch (err) {
    if (span !== null) span.failed(err)
    throw upstreamError(err, upstream.name, route.config.timeout, settings.bodyLimit)
  }
  if (span !== null) span.answered(answer.upgraded ? 101 : answer.statusCode)
  if (!answer.upgraded) {
    // The upstream said no (or answered plain HTTP): the client hears exactly that.
    const out = clientResponseHeaders(answer.headers, route.responseHeaders)
    out['x-request-id'] = request.id
    return reply.code(answer.statusCode).headers(out).send(answer.body)
  }
  const socket = answer.socket
  if (client.destroyed) {
    socket.destroy()
    return
  }
  reply.hijack()
  reply.raw.detachSocket(client)
  client.write(switchingProtocols(answer.headers, route, request.id))
  const head = (req as UpgradeRequest)[UPGRADE_HEAD]
  if (head !== undefined && head.length > 0) socket.write(head)
  for (const chunk of answer.early) socket.write(chunk)
  target.state.activeRequests++
  socket.once('close', () => { target.state.activeRequests-- })
  join(client, socket)
}
