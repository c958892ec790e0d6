// Forwarding for a route with `retry`. The rules, and why:
// - Only idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE), plus POST and PATCH
//   when the client sent an Idempotency-Key: replaying anything else could do twice
//   what the client asked for once. A gRPC call (always a POST) is retried only when
//   the upstream did not take it: refused, reset before any answer, or a trailers-only
//   UNAVAILABLE (grpc-status 14 in the head, before any byte reached the client). Any
//   other status, or UNAVAILABLE after response data, is the call's outcome.
// - Never after a byte of the answer reached the client: the decision is taken at the
//   upstream's response start, before the relay writes anything. A retryable status
//   (502, 503, 504… as listed in `on`) is held back, its body discarded, and only the
//   last attempt's answer is relayed. Once relaying has begun, a cut stays a cut.
// - A request body is replayed only if it was buffered: one with a Content-Length of
//   at most 64 KiB (MAX_REPLAY_BODY) is read whole before the first attempt. A chunked
//   or larger body streams straight through and is never retried. A gRPC body (no
//   Content-Length) streams to the first attempt while a copy of up to 64 KiB is kept
//   (replay-body.ts); it is replayed only if the client's stream had ended within that
//   when the retry was decided, so a larger or still open call is attempted once.
// - `502` in `on` covers every failure the gateway answers with 502 (refused, reset, a
//   malformed answer), not only an upstream's own 502.
// - A failure on a keep-alive connection the HTTP/1.1 upstream had just closed (the
//   keep-alive race) is sent once more to the same target on a new connection, and a
//   stream an HTTP/2 upstream refused once more on a new stream, whatever the method
//   (stale-connection.ts): whatever `on` says, once per request, and not one of the
//   `attempts` nor taken from the budget. A stream refused again answers 502. On an
//   HTTP/2 pool a small body (as above) is read whole for any method, for that replay.
// - Each retry goes to a target not tried yet when the balancer offers one.
// - A per-upstream budget (retry.ts) bounds retries to ~20% of requests, so a failing
//   upstream never sees its load multiplied. The budget is taken when the retry is
//   decided, so a held answer is always followed by another attempt.
// Every attempt reports its own outcome (breakers, outlier detection, balancers).
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { CompiledRoute } from '../routing/compiled-route.js'
import { callDeadline } from '../grpc/deadline.js'
import { MAX_REPLAY_BODY, mayRetryMethod, type RetryPolicy } from '../upstream/retry.js'
import type { Target } from '../upstream/target.js'
import type { Upstream } from '../upstream/upstream-set.js'
import { pickTarget, type ForwardSettings } from './attempt.js'
import { attempt, clientError } from './one-attempt.js'
import { HeldStatus, type Hold } from './response-relay.js'
import { ReplayBody } from './replay-body.js'
import { fitsWhole, readWhole, requestBody } from './request-body.js'
import { resendsRefused, staleReplay } from './stale-connection.js'
import { isBadGateway } from './upstream-errors.js'
import { RefusedStream } from '../upstream/refused-stream.js'

export async function forwardWithRetries (request: FastifyRequest, reply: FastifyReply, route: CompiledRoute,
  upstream: Upstream, settings: ForwardSettings, policy: RetryPolicy, given?: Readable | Buffer | null): Promise<void> {
  const req = request.raw
  let target = pickTarget(request, reply, upstream)
  let body: Readable | Buffer | null = given !== undefined ? given : requestBody(req, settings.bodyLimit)
  const grpc = request.turnpike.protocol === 'grpc'
  const idempotent = mayRetryMethod(req.method ?? 'GET', req.headers)
  let replayable = grpc || idempotent
  /** A gRPC body being copied as it streams; replaced by its copy once a retry is decided. */
  let tee: ReplayBody | undefined
  if ((replayable || resendsRefused(target.state.pool)) && body !== null) {
    if (fitsWhole(req, body, MAX_REPLAY_BODY)) {
      try {
        body = await readWhole(req)
      } catch (err) {
        throw clientError(request, err, null, upstream, route, settings)
      }
    } else if (grpc && body !== req && !Buffer.isBuffer(body)) {
      // requestBody's counting stream has not started; the tee reads in its place.
      tee = new ReplayBody(req, settings.bodyLimit)
      body = tee as unknown as Readable // undici and the HTTP/2 pool stream any async iterable
    } else if (!Buffer.isBuffer(body)) {
      replayable = false
    }
  }
  const budget = upstream.retryBudget
  budget.request()
  const res = reply.raw
  let tried: Target[] | undefined
  /** The one replay of a stale connection or a refused stream (stale-connection.ts) was made. */
  let replayed = false
  let fresh = false
  const fail = (err: unknown): Error => {
    tee?.abandon()
    return clientError(request, err, body, upstream, route, settings)
  }
  // gRPC answers with HTTP 200 and puts UNAVAILABLE in the head of a trailers-only answer.
  const grpcHold: Hold = (status, headers) => status === 200 && headers['grpc-status'] === '14' &&
    (tee === undefined || tee.complete) && budget.tryRetry()
  const httpHold: Hold = (status) => policy.retriesStatus(status) && budget.tryRetry()
  for (let retry = 1; ; retry++) {
    const mayRetry = replayable && retry <= policy.attempts
    const hold = mayRetry ? grpc ? grpcHold : httpHold : undefined
    let failure: unknown
    try {
      await attempt(request, reply, route, upstream, settings, target, body, hold, false, fresh)
      tee?.forget()
      return
    } catch (err) {
      fresh = false
      if (!replayed && !res.destroyed) {
        const replay = staleReplay(err, target.state.pool, body, idempotent)
        if (replay !== null) {
          replayed = true
          fresh = replay === 'new-connection'
          retry-- // the same try once more: not one of the attempts
          continue
        }
      } else if (err instanceof RefusedStream) {
        throw fail(err) // refused again: the upstream will not take it now
      }
      // gRPC: refused or reset before any answer (502) is UNAVAILABLE, whatever `on` says.
      const retries = grpc ? isBadGateway(err) : policy.retriesError(err) || (isBadGateway(err) && policy.retriesStatus(502))
      const again = err instanceof HeldStatus ||
        (mayRetry && retries && (tee === undefined || tee.complete) && budget.tryRetry())
      if (!again || res.destroyed) throw fail(err)
      failure = err
    }
    if (tee !== undefined) {
      body = tee.replay()
      tee.abandon()
      tee = undefined
    }
    settings.metrics.countRetry(route.name)
    ;(tried ??= []).push(target)
    // No waiting past a gRPC call's deadline: the next attempt answers DEADLINE_EXCEEDED unsent.
    const wait = grpc ? Math.min(policy.delay(retry, Math.random), callDeadline(request, route).left()) : policy.delay(retry, Math.random)
    if (wait > 0) await sleep(wait, undefined, { ref: false })
    if (res.destroyed) throw fail(failure) // the client left meanwhile
    target = pickUntried(request, reply, upstream, tried)
  }
}

/** A target not tried yet if the balancer offers one within a few picks, else its last pick. */
function pickUntried (request: FastifyRequest, reply: FastifyReply, upstream: Upstream, tried: readonly Target[]): Target {
  let target = pickTarget(request, reply, upstream)
  for (let i = 0; i < upstream.targets.length && tried.includes(target); i++) {
    target = pickTarget(request, reply, upstream)
  }
  if (tried.includes(target)) {
    const other = upstream.targets.find((t) => t.state.available && !tried.includes(t))
    if (other !== undefined) {
      request.turnpike.target = other
      return other
    }
  }
  return target
}
