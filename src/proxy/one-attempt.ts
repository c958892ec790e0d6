// One attempt at one target, and what the client gets when the last attempt failed:
// the piece forward.ts and retry-loop.ts share (each try of a retried route is one
// attempt), in a file of its own so neither imports the other.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Readable } from 'node:stream'
import type { CompiledRoute } from '../routing/compiled-route.js'
import type { Target } from '../upstream/target.js'
import type { Upstream } from '../upstream/upstream-set.js'
import { headersFor, noTarget, upstreamPath, type ForwardSettings } from './attempt.js'
import { HeldStatus, ResponseRelay, type Hold } from './response-relay.js'
import { isBodyLimit, isBodyMalformed, upstreamError } from './upstream-errors.js'
import { reportOutcome } from '../upstream/outcome.js'
import { CLIENT_FAULT, isBreakerOpen, UpstreamStatus } from '../upstream/breaker.js'
import { freshConnection } from './stale-connection.js'
import { waitForRoom } from './admission.js'
import { callDeadline } from '../grpc/deadline.js'
import { GatewayTimeoutError } from '../errors.js'

/** What the client gets for the failure of the last attempt. */
export function clientError (request: FastifyRequest, err: unknown, body: unknown, upstream: Upstream,
  route: CompiledRoute, settings: ForwardSettings): Error {
  drainUnsent(request.raw, body)
  const status = err instanceof Error ? (err as { statusCode?: number }).statusCode : undefined
  if (status === 503 || status === 504) return err as Error // circuit open; a gRPC call's deadline passed before an attempt
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
  hold: Hold | undefined, mapError = false, fresh = false): Promise<void> {
  const req = request.raw
  const deadline = request.turnpike.protocol === 'grpc' ? callDeadline(request, route) : null
  if (deadline !== null && deadline.left() < 1) {
    // The call's deadline passed (to the millisecond headersTimeout counts in) before this attempt: not sent.
    const err = new GatewayTimeoutError(upstream.name, deadline.budget)
    throw mapError ? clientError(request, err, body, upstream, route, settings) : err
  }
  const headers = headersFor(request, route, target, settings)
  request.turnpike.sentHeaders = headers
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
    if (res.writableFinished) return
    relay?.clientGone()
    settings.closedUnfinished(request, reply)
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
      // Measured here, after any wait for room: what is left of a gRPC call's deadline.
      headersTimeout: deadline === null ? route.config.timeout : deadline.arm(headers),
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
        reportOutcome(upstream, target, { ok: false, status: err.status, latencyMs }, settings.metrics)
        throw err
      }
      // A body over the limit, or a client that left, is not the target's failure.
      if (!isClientFault(err)) reportOutcome(upstream, target, { ok: false, status: 0, latencyMs }, settings.metrics)
      throw mapError ? clientError(request, err, body, upstream, route, settings) : err
    }
  }
  if (span !== null) span.answered(status)
  reportOutcome(upstream, target, { ok: status < 500, status, latencyMs: performance.now() - sentAt }, settings.metrics)
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
