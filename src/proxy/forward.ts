// Forwards one matched HTTP request to a target of its upstream and streams the answer
// back. Written on undici's Pool directly rather than through @fastify/reply-from:
// the gateway needs its own hop-by-hop and X-Forwarded-* rules, a body limit that also
// holds for chunked uploads, and per-attempt control of target choice and errors (the
// seam for breakers and retries), and reply-from's generic per-request work costs
// throughput we measured (docs/performance.md).
//
// A route without `retry` makes exactly one attempt (the hot path, unchanged); one
// with it goes through retry-loop.ts, which calls `attempt` once per try.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Readable } from 'node:stream'
import type { CompiledRoute } from '../routing/compiled-route.js'
import type { Target } from '../upstream/target.js'
import type { Upstream } from '../upstream/upstream-set.js'
import { headersFor, noTarget, pickTarget, upstreamPath, type ForwardSettings } from './attempt.js'
import { HeldStatus, ResponseRelay } from './response-relay.js'
import { requestBody } from './request-body.js'
import { isBodyLimit, isBodyMalformed, upstreamError } from './upstream-errors.js'
import { reportOutcome } from '../upstream/outcome.js'
import { CLIENT_FAULT, isBreakerOpen, UpstreamStatus } from '../upstream/breaker.js'
import { forwardWithRetries } from './retry-loop.js'

export async function forward (request: FastifyRequest, reply: FastifyReply, route: CompiledRoute,
  upstream: Upstream, settings: ForwardSettings): Promise<void> {
  if (route.retry !== undefined) return await forwardWithRetries(request, reply, route, upstream, settings, route.retry)
  const target = pickTarget(request, reply, upstream)
  const body = requestBody(request.raw, settings.bodyLimit)
  // The single attempt maps its own failure: no extra await layer on the hot path.
  return await attempt(request, reply, route, upstream, settings, target, body, undefined, true)
}

/** What the client gets for the failure of the last attempt. */
export function clientError (request: FastifyRequest, err: unknown, body: unknown, upstream: Upstream,
  route: CompiledRoute, settings: ForwardSettings): Error {
  drainUnsent(request.raw, body)
  if (err instanceof Error && (err as { statusCode?: number }).statusCode === 503) return err // circuit open
  return upstreamError(err, upstream.name, route.config.timeout, settings.bodyLimit)
}

/**
 * One attempt at `target`. Resolves once the response has started to reach the client
 * (the relay then streams the rest). Rejects, having reported the outcome, when no
 * answer came, when `hold` kept a retryable answer back (HeldStatus), or with a 503
 * (Retry-After set) when the target's circuit breaker refused it: nothing was sent then.
 */
export async function attempt (request: FastifyRequest, reply: FastifyReply, route: CompiledRoute,
  upstream: Upstream, settings: ForwardSettings, target: Target, body: Readable | Buffer | null,
  hold: ((status: number) => boolean) | undefined, mapError = false): Promise<void> {
  const req = request.raw
  const headers = headersFor(request, route, target, settings)
  // One client span per attempt (so retries are siblings); its context goes upstream.
  const span = request.turnpike.trace === null ? null : request.turnpike.trace.attempt(request, route, target, headers)
  const state = target.state
  const res = reply.raw
  let relay: ResponseRelay | null = null
  state.activeRequests++
  const onClose = (): void => {
    state.activeRequests--
    if (!res.writableFinished) relay?.clientGone()
  }
  res.once('close', onClose)
  // A plain function returning the promise: one promise layer fewer per request.
  const send = (): Promise<number> => new Promise<number>((resolve, reject) => {
    relay = new ResponseRelay(request, reply, route.responseHeaders, settings.draining,
      (err) => { if (err === undefined) resolve(res.statusCode); else reject(markClientFault(err, res.destroyed)) },
      hold, route.bodyPolicies)
    state.pool.dispatch({
      path: upstreamPath(request, route),
      method: req.method as 'GET',
      headers,
      body,
      headersTimeout: route.config.timeout,
      bodyTimeout: 0 // streams and SSE may be quiet for long; the client decides
    }, relay)
  })
  const breaker = state.breaker
  const sentAt = performance.now()
  let status: number
  try {
    status = breaker === undefined ? await send() : await breaker.fire(send)
  } catch (err) {
    if (err instanceof UpstreamStatus) {
      status = err.status // a 5xx relayed as sent; a failure only to the breaker
    } else {
      if (span !== null) span.failed(err)
      res.off('close', onClose)
      state.activeRequests--
      if (isBreakerOpen(err)) {
        if (mapError) drainUnsent(req, body)
        throw noTarget(reply, upstream) // refused before sending
      }
      const latencyMs = performance.now() - sentAt
      if (err instanceof HeldStatus) {
        reportOutcome(upstream, target, { ok: false, status: err.status, latencyMs })
        throw err
      }
      // A body over the limit, or a client that left, is not the target's failure.
      if (!isClientFault(err)) reportOutcome(upstream, target, { ok: false, status: 0, latencyMs })
      throw mapError ? clientError(request, err, body, upstream, route, settings) : err
    }
  }
  if (span !== null) span.answered(status)
  reportOutcome(upstream, target, { ok: status < 500, status, latencyMs: performance.now() - sentAt })
}

/** A streamed request body that will not be sent: read what the client still sends, so its connection stays usable. */
function drainUnsent (req: FastifyRequest['raw'], body: unknown): void {
  if (body !== null && body !== req && !Buffer.isBuffer(body)) req.resume()
}

function isClientFault (err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[CLIENT_FAULT] === true
}

/** Tags a failure the client caused (its body over the limit or malformed, or it left) for the breaker's errorFilter. */
function markClientFault (err: Error, clientGone: boolean): Error {
  if (clientGone || isBodyLimit(err) || isBodyMalformed(err)) (err as unknown as Record<symbol, unknown>)[CLIENT_FAULT] = true
  return err
}
