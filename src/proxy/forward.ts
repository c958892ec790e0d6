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
import type { Target } from '../upstream/target.js'
import type { Upstream } from '../upstream/upstream-set.js'
import { headersFor, noTarget, pickTarget, upstreamPath, type ForwardSettings } from './attempt.js'
import { HeldStatus, ResponseRelay } from './response-relay.js'
import { requestBody } from './request-body.js'
import { isBodyLimit, isBodyMalformed, upstreamError } from './upstream-errors.js'
import { reportOutcome } from '../upstream/outcome.js'
import { CLIENT_FAULT, isBreakerOpen, UpstreamStatus } from '../upstream/breaker.js'
import { forwardWithRetries } from './retry-loop.js'
import { freshConnection, mayBeStaleConnection } from './stale-connection.js'
import { mayRetryMethod } from '../upstream/retry.js'
import { waitForRoom } from './admission.js'
import { grpcDeadline } from '../grpc/status.js'

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
 * `fresh`: on a new connection of its own rather than one of the target's pool.
 */
export async function attempt (request: FastifyRequest, reply: FastifyReply, route: CompiledRoute,
  upstream: Upstream, settings: ForwardSettings, target: Target, body: Readable | Buffer | null,
  hold: ((status: number) => boolean) | undefined, mapError = false, fresh = false): Promise<void> {
  const req = request.raw
  const headers = headersFor(request, route, target, settings)
  // One client span per attempt (so retries are siblings); its context goes upstream.
  const span = request.turnpike.trace === null ? null : request.turnpike.trace.attempt(request, route, target, headers)
  const state = target.state
  const res = reply.raw
  let relay: ResponseRelay | null = null
  const gate = state.gate
  if (gate !== undefined && !gate.tryEnter()) {
    try {
      await waitForRoom(gate, reply, upstream)
    } catch (err) {
      if (mapError) drainUnsent(req, body)
      throw err
    }
  }
  state.activeRequests++
  const onClose = (): void => {
    state.activeRequests--
    gate?.leave()
    if (!res.writableFinished) relay?.clientGone()
  }
  res.once('close', onClose)
  // A plain function returning the promise: one promise layer fewer per request.
  const send = (): Promise<number> => new Promise<number>((resolve, reject) => {
    relay = new ResponseRelay(request, reply, route.responseHeaders, settings.draining,
      (err) => { if (err === undefined) resolve(res.statusCode); else reject(markClientFault(err, res.destroyed)) },
      hold, route.bodyPolicies)
    const dispatcher = fresh ? freshConnection(target.origin, state.connect) : state.pool
    dispatcher.dispatch({
      path: upstreamPath(request, route),
      method: req.method as 'GET',
      headers,
      body,
      headersTimeout: request.turnpike.protocol === 'grpc' ? grpcDeadline(req.headers['grpc-timeout'], route.config.timeout) : route.config.timeout,
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
      gate?.leave()
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
