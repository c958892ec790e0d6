// A gRPC call's deadline across the gateway's attempts at it. The client's
// `grpc-timeout` counts from when the gateway received the call, not from each
// attempt: a retry gets only what is left of it, and the upstream is told what is left
// (sent unchanged, each retry's upstream would believe it had the whole time again).
// Made once per call, at its first attempt, so the header is parsed once.
import type { FastifyRequest } from 'fastify'
import type { CompiledRoute } from '../routing/compiled-route.js'
import { formatGrpcTimeout, grpcDeadline, grpcTimeoutMs } from './status.js'

export class CallDeadline {
  /** What the gateway waits for the answer's head in all, in ms (grpcDeadline's rule); 0: no limit. */
  readonly budget: number
  /** performance.now() past which the gateway waits no more; Infinity: never. */
  private readonly waitUntil: number
  /** performance.now() when the client's own deadline passes; Infinity when it sent no valid grpc-timeout. */
  private readonly clientUntil: number

  /** `elapsedMs`: how long ago the gateway received the call. */
  constructor (header: string | string[] | undefined, routeTimeout: number, elapsedMs: number) {
    const receivedAt = performance.now() - elapsedMs
    this.budget = grpcDeadline(header, routeTimeout)
    this.waitUntil = this.budget > 0 ? receivedAt + this.budget : Infinity
    const client = grpcTimeoutMs(header)
    // At least 1 ms, as grpcDeadline counts it: never sooner than the wait ends.
    this.clientUntil = client === undefined ? Infinity : receivedAt + Math.max(1, client)
  }

  /** Milliseconds left to wait (Infinity: no limit); 0 or less: the deadline has passed. */
  left (): number {
    return this.waitUntil - performance.now()
  }

  /**
   * For an attempt about to be sent: what is left of the client's deadline goes upstream
   * as its grpc-timeout (a header it did not send, or sent malformed, is left as it is);
   * returns the attempt's headersTimeout (0: none).
   */
  arm (headers: Record<string, string | string[]>): number {
    const now = performance.now()
    if (this.clientUntil !== Infinity) headers['grpc-timeout'] = formatGrpcTimeout(this.clientUntil - now)
    return this.waitUntil === Infinity ? 0 : Math.max(1, Math.ceil(this.waitUntil - now))
  }
}

/** The call's deadline, made at its first attempt and kept on its context. */
export function callDeadline (request: FastifyRequest, route: CompiledRoute): CallDeadline {
  const context = request.turnpike
  return (context.grpcDeadline ??= new CallDeadline(request.raw.headers['grpc-timeout'], route.config.timeout,
    Number(process.hrtime.bigint() - context.startedAt) / 1e6))
}
