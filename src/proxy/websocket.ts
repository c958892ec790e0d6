// WebSocket routes: the upgrade request goes through the same hooks as any request
// (so IP rules, auth and rate limits apply to the handshake), then the upstream's
// handshake is relayed and the two sockets are joined byte for byte, as nginx does.
// We tunnel rather than terminate (@fastify/websocket terminates): frames, close
// codes, subprotocol and extension negotiation all stay the upstream's own.
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CompiledRoute } from '../routing/compiled-route.js'
import type { Upstream } from '../upstream/upstream-set.js'
import { headersFor, pickTarget, upstreamPath, type ForwardSettings } from './attempt.js'
import { upstreamError } from './upstream-errors.js'

/** Bytes that arrived after the upgrade request's headers, kept by the listener. */
export const UPGRADE_HEAD = Symbol('turnpike.upgradeHead')

/** A WebSocket handshake that arrived through the listener's 'upgrade' event. */
export function isUpgrade (request: FastifyRequest): boolean {
  return (request.raw as { [UPGRADE_HEAD]?: Buffer })[UPGRADE_HEAD] !== undefined &&
    request.headers.upgrade?.toLowerCase() === 'websocket'
}

function handshake (headers: Record<string, string | string[] | undefined>): string {
  let head = 'HTTP/1.1 101 Switching Protocols\r\n'
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`
  }
  return head + '\r\n'
}

function join (client: Socket, upstream: Duplex): void {
  client.setTimeout(0)
  const end = (): void => {
    client.destroy()
    upstream.destroy()
  }
  client.on('error', end)
  upstream.on('error', end)
  client.on('close', end)
  upstream.on('close', end)
  upstream.pipe(client)
  client.pipe(upstream)
}

export async function tunnel (request: FastifyRequest, reply: FastifyReply, route: CompiledRoute,
  upstream: Upstream, settings: ForwardSettings): Promise<void> {
  const req = request.raw
  const target = pickTarget(request, reply, upstream)
  const headers = headersFor(request, route, target, settings.trust)
  let upgraded
  try {
    upgraded = await target.state.pool.upgrade({
      path: upstreamPath(request, route),
      method: 'GET',
      headers,
      protocol: 'websocket'
    })
  } catch (err) {
    throw upstreamError(err, upstream.name, route.config.timeout, settings.bodyLimit)
  }
  reply.hijack()
  const client = req.socket
  reply.raw.detachSocket(client)
  client.write(handshake(upgraded.headers))
  const head = (req as { [UPGRADE_HEAD]?: Buffer })[UPGRADE_HEAD]
  if (head !== undefined && head.length > 0) upgraded.socket.write(head)
  target.state.activeRequests++
  upgraded.socket.once('close', () => { target.state.activeRequests-- })
  join(client, upgraded.socket)
}
