// Forwards one matched HTTP request to a target of its upstream and streams the answer
// back. Written on undici's Pool directly rather than through @fastify/reply-from:
// the gateway needs its own hop-by-hop and X-Forwarded-* rules, a body limit that also
// holds for chunked uploads, and per-attempt control of target choice and errors (the
// seam for breakers and retries), and reply-from's generic per-request work costs
// throughput we measured (docs/performance.md).
//
// A route without `retry` makes one attempt, plus one more when stale-connection.ts
// says so: on a new connection for an idempotent request whose first attempt met a
// keep-alive connection the HTTP/1.1 upstream had just closed, on a new stream for any
// request an HTTP/2 upstream refused. Either needs a body that can be sent twice (none,
// or one read whole): on an HTTP/2 pool a body with a Content-Length within 64 KiB is
// read whole first. A route with `retry` goes through retry-loop.ts, which calls
// `attempt` once per try.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Readable } from 'node:stream'
import type { CompiledRoute } from '../routing/compiled-route.js'
import type { Upstream } from '../upstream/upstream-set.js'
import { pickTarget, type ForwardSettings } from './attempt.js'
import { attempt, clientError } from './one-attempt.js'
import { fitsWhole, readWhole, requestBody } from './request-body.js'
import { forwardWithRetries } from './retry-loop.js'
import { mayReplay, resendsRefused, staleReplay } from './stale-connection.js'
import { MAX_REPLAY_BODY, mayRetryMethod } from '../upstream/retry.js'

/** `given`: the request body when a caller already took it (a mirror reads small ones whole). */
export async function forward (request: FastifyRequest, reply: FastifyReply, route: CompiledRoute,
  upstream: Upstream, settings: ForwardSettings, given?: Readable | Buffer | null): Promise<void> {
  if (route.retry !== undefined) return await forwardWithRetries(request, reply, route, upstream, settings, route.retry, given)
  const req = request.raw
  const target = pickTarget(request, reply, upstream)
  const pool = target.state.pool
  let body = given !== undefined ? given : requestBody(req, settings.bodyLimit)
  if (resendsRefused(pool) && fitsWhole(req, body, MAX_REPLAY_BODY)) {
    try {
      body = await readWhole(req)
    } catch (err) {
      throw clientError(request, err, null, upstream, route, settings)
    }
  }
  const idempotent = mayRetryMethod(req.method ?? 'GET', req.headers)
  // A streamed body cannot be sent twice; a POST without Idempotency-Key must not be
  // (unless refused). That single attempt maps its own failure: no extra await layer.
  if (!mayReplay(pool, body, idempotent)) {
    return await attempt(request, reply, route, upstream, settings, target, body, undefined, true)
  }
  try {
    await attempt(request, reply, route, upstream, settings, target, body, undefined)
  } catch (err) {
    const replay = reply.raw.destroyed ? null : staleReplay(err, pool, body, idempotent)
    if (replay === null) throw clientError(request, err, body, upstream, route, settings)
    await attempt(request, reply, route, upstream, settings, target, body, undefined, true, replay === 'new-connection')
  }
}
