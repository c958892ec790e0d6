// Forwards one matched HTTP request to a target of its upstream and streams the answer
// back. Written on undici's Pool directly rather than through @fastify/reply-from:
// the gateway needs its own hop-by-hop and X-Forwarded-* rules, a body limit that also
// holds for chunked uploads, and per-attempt control of target choice and errors (the
// seam for breakers and retries), and reply-from's generic per-request work costs
// throughput we measured (docs/performance.md).
import type { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CompiledRoute } from '../routing/compiled-route.js'
import type { Upstream } from '../upstream/upstream-set.js'
import { headersFor, pickTarget, upstreamPath, type ForwardSettings } from './attempt.js'
import { clientResponseHeaders } from './headers.js'
import { requestBody } from './request-body.js'
import { upstreamError } from './upstream-errors.js'

export async function forward (request: FastifyRequest, reply: FastifyReply, route: CompiledRoute,
  upstream: Upstream, settings: ForwardSettings): Promise<FastifyReply> {
  const req = request.raw
  const target = pickTarget(request, reply, upstream)
  const body = requestBody(req, settings.bodyLimit)
  const headers = headersFor(request, route, target, settings.trust)

  const state = target.state
  state.activeRequests++
  const abort = new AbortController()
  reply.raw.once('close', () => {
    state.activeRequests--
    if (!reply.raw.writableFinished) abort.abort() // the client went away: stop the upstream work too
  })
  let res
  try {
    res = await state.pool.request({
      path: upstreamPath(request, route),
      method: req.method as 'GET',
      headers,
      body,
      headersTimeout: route.config.timeout,
      bodyTimeout: 0, // streams and SSE may be quiet for long; the client decides
      signal: abort.signal
    })
  } catch (err) {
    if (body !== null && body !== req) req.resume() // drain what the client still sends
    throw upstreamError(err, upstream.name, route.config.timeout, settings.bodyLimit)
  }
  const out = clientResponseHeaders(res.headers, route.responseHeaders)
  out['x-request-id'] = request.id
  const count = settings.accessLog && out['content-length'] === undefined ? request : null
  onPipe(reply, res.body, count)
  return reply.code(res.statusCode).headers(out).send(res.body)
}

/**
 * Once Fastify starts piping the upstream body to the client:
 * - Node sends a streamed response's headers with its first body chunk. When the
 *   upstream has sent headers but no body yet (SSE, long polls, slow streams), the
 *   client must see them now, as nginx does; when body bytes are waiting, they go together.
 * - For the access log, a chunked body is counted as it passes. Counting starts at the
 *   pipe, not before: a 'data' listener would set the stream flowing before anyone reads.
 */
function onPipe (reply: FastifyReply, body: Readable, countFor: FastifyRequest | null): void {
  reply.raw.once('pipe', () => {
    if (!reply.raw.headersSent && body.readableLength === 0) reply.raw.flushHeaders()
    if (countFor === null) return
    const ctx = countFor.turnpike
    ctx.streamedBytes = 0
    body.on('data', (chunk: Buffer) => { (ctx.streamedBytes as number) += chunk.length })
  })
}
