// @fastify/rate-limit hands its store only what `keyGenerator` returned, never the
// request; yet a check must know its request, whose Redis budget (redis.timeout for all
// of its Redis calls together) the check draws on. So the limiter's keyGenerator returns
// a ticket, a number the plugin passes through untouched, and the store redeems it for
// the request. The plugin calls the store one microtask after keyGenerator, so a ring
// of RING_SIZE slots never wraps onto a ticket not yet redeemed, and holds no request
// for longer than that.
import type { FastifyRequest } from 'fastify'

const RING_SIZE = 4096

export class RequestPass {
  private readonly ring: Array<FastifyRequest | undefined> = new Array<FastifyRequest | undefined>(RING_SIZE)
  private next = 0

  ticket (request: FastifyRequest): number {
    const ticket = this.next
    this.next = (ticket + 1) % RING_SIZE
    this.ring[ticket] = request
    return ticket
  }

  /** The request of `ticket`, once; undefined when the ticket is unknown or already redeemed. */
  redeem (ticket: string | number): FastifyRequest | undefined {
    const index = Number(ticket)
    const request = this.ring[index]
    this.ring[index] = undefined
    return request
  }
}
