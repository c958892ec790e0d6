// Forwards one matched HTTP request to a target of its upstream and streams the answer
// back. Written on undici's Pool directly rather than through @fastify/reply-from:
// the gateway needs its own hop-by-hop and X-Forwarded-* rules, a body limit that also
// holds for chunked uploads, and per-attempt control of target choice and errors (the
// seam for breakers and retries), and reply-from's generic per-request work costs
// throughput we measured (docs/performance.md).
//
// A route without `retry` makes one attempt, plus, for an idempotent request without a
// body, one more on a new connection when the first met a keep-alive connection the
// upstream had just closed (stale-connection.ts). A route with `retry` goes through
// retry-loop.ts, which calls `attempt` once per try.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Readable } from 'node:stream'
import type { CompiledRoute } from '../routing/compiled-route.js'
import type { Upstream } from '../upstream/upstream-set.js'
import { pickTarget, type ForwardSettings } from './attempt.js'
import { attempt, clientError } from './one-attempt.js'
import { requestBody } from './request-body.js'
import { forwardWithRetries } from './retry-loop.js'
import { mayBeStaleConnection } from './stale-connection.js'
import { mayRetryMethod } from '../upstream/retry.js'

/** `given`: the request body when a caller already took it (a mirror reads small ones whole). */
export async function forward (request: FastifyRequest, reply: FastifyReply, route: CompiledRoute,
  upstream: Upstream, settings: ForwardSettings, given?: Readable | Buffer | null): Promise<void> {
  if (route.retry !== undefined) return await forwardWithRetries(request, reply, route, upstream, settings, route.retry, given)
  const target = pickTarget(request, reply, upstream)
  const body = given !== undefined ? given : requestBody(request.raw, settings.bodyLimit)
  // A streamed body cannot be sent twice; a POST without Idempotency-Key must not be.
  // That single attempt maps its own failure: no extra await layer.
  if (body !== null || !mayRetryMethod(request.raw.method ?? 'GET', request.raw.headers)) {
    return await attempt(request, reply, route, upstream, settings, target, body, undefined, true)
  }
  try {
    await attempt(request, reply, route, upstream, settings, target, null, undefined)
  } catch (err) {
    if (!mayBeStaleConnection(err) || reply.raw.destroyed) throw clientError(request, err, null, upstream, route, settings)
    await attempt(request, reply, route, upstream, settings, target, null, undefined, true, true)
  }
}
