// Forwards one matched HTTP request to a target of its upstream and streams the answer
// back. Written on undici's Pool directly rather than through @fastify/reply-from:
// the gateway needs its own hop-by-hop and X-Forwarded-* rules, a body limit that also
// holds for chunked uploads, and per-attempt control of target choice and errors (the
// seam for breakers and retries), and reply-from's generic per-request work costs
// throughput we measured (docs/performance.md).
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CompiledRoute } from '../routing/compiled-route.js'
import type { Upstream } from '../upstream/upstream-set.js'
import { headersFor, pickTarget, upstreamPath, type ForwardSettings } from './attempt.js'
import { ResponseRelay } from './response-relay.js'
import { requestBody } from './request-body.js'
import { upstreamError } from './upstream-errors.js'
import { reportOutcome } from '../upstream/outcome.js'

export async function forward (request: FastifyRequest, reply: FastifyReply, route: CompiledRoute,
  upstream: Upstream, settings: ForwardSettings): Promise<void> {
  const req = request.raw
  const target = pickTarget(request, reply, upstream)
  const body = requestBody(req, settings.bodyLimit)
  const headers = headersFor(request, route, target, settings.trust)
  const state = target.state
  const res = reply.raw
  let relay: ResponseRelay | null = null
  state.activeRequests++
  res.once('close', () => {
    state.activeRequests--
    if (!res.writableFinished) relay?.clientGone()
  })
  const sentAt = performance.now()
  try {
    await new Promise<void>((resolve, reject) => {
      relay = new ResponseRelay(request, reply, route.responseHeaders, settings.draining,
        (err) => { if (err === undefined) resolve(); else reject(err) })
      state.pool.dispatch({
        path: upstreamPath(request, route),
        method: req.method as 'GET',
        headers,
        body,
        headersTimeout: route.config.timeout,
        bodyTimeout: 0 // streams and SSE may be quiet for long; the client decides
      }, relay)
    })
  } catch (err) {
    if (body !== null && body !== req) req.resume() // drain what the client still sends
    const mapped = upstreamError(err, upstream.name, route.config.timeout, settings.bodyLimit)
    // A body over the limit is the client's fault, not the target's.
    if ((mapped as { statusCode?: number }).statusCode !== 413) {
      reportOutcome(upstream, target, { ok: false, status: 0, latencyMs: performance.now() - sentAt })
    }
    throw mapped
  }
  const status = res.statusCode
  reportOutcome(upstream, target, { ok: status < 500, status, latencyMs: performance.now() - sentAt })
}
