// A request whose target is at its `limits.maxConnections` waits here for a slot; when
// none comes (the queue is full, or `pendingTimeout` passes) the client gets 503
// TURNPIKE_UPSTREAM_OVERLOADED with Retry-After, and the target never sees the request.
import type { FastifyReply } from 'fastify'
import { UpstreamOverloadedError } from '../errors.js'
import type { TargetGate } from '../upstream/limits.js'
import type { Upstream } from '../upstream/upstream-set.js'

/** Resolves with the slot taken; throws the 503 when none came (or the client left meanwhile). */
export async function waitForRoom (gate: TargetGate, reply: FastifyReply, upstream: Upstream): Promise<void> {
  const admitted = await gate.wait()
  if (admitted && reply.raw.destroyed) gate.leave() // gone while waiting: give the slot on
  if (!admitted || reply.raw.destroyed) {
    reply.header('retry-after', String(Math.max(1, Math.ceil(gate.config.pendingTimeout / 1000))))
    throw new UpstreamOverloadedError(upstream.name)
  }
}
