// The seam to @fastify/rate-limit, which keeps the headers, the 429 and the hooks'
// bookkeeping, while Turnpike keeps the counting. The plugin builds its store from a
// class (`store: PluginStore`) and asks it for a child per limiter with that limiter's
// options merged in; each limiter passes `turnpike: { store, keyOf, pass }`: the
// route's RateStore, what it counts by, and the RequestPass its keyGenerator issues
// tickets from (request-pass.ts), so a check knows its request and the request's
// Redis budget.
import type { FastifyRateLimitStore } from '@fastify/rate-limit'
import type { Verdict } from './algorithms.js'
import type { KeyOf } from './keys.js'
import type { RateStore } from './local-store.js'
import type { RequestPass } from './request-pass.js'

type Callback = (error: Error | null, result?: Verdict) => void

/** What a limiter adds to @fastify/rate-limit's options (copied through to `child`). */
export interface TurnpikeLimiterOptions {
  readonly turnpike: { readonly store: RateStore, readonly keyOf: KeyOf, readonly pass: RequestPass }
}

class RouteStore implements FastifyRateLimitStore {
  constructor (private readonly turnpike: TurnpikeLimiterOptions['turnpike']) {}

  /** `ticket` is what the limiter's keyGenerator returned (RequestPass.ticket). */
  incr (ticket: string, callback: Callback): void {
    const request = this.turnpike.pass.redeem(ticket)
    if (request === undefined) {
      callback(new Error('rate limit: the request of this check is unknown'))
      return
    }
    const verdict = this.turnpike.store.check(this.turnpike.keyOf(request), request.turnpike)
    if ('then' in verdict) verdict.then((v) => { callback(null, v) }, callback)
    else callback(null, verdict)
  }

  child (): FastifyRateLimitStore {
    return this
  }
}

export class PluginStore implements FastifyRateLimitStore {
  // The plugin passes its global options; every real limit comes through child().
  constructor (_globalOptions?: unknown) {}

  incr (_key: string, callback: Callback): void {
    callback(new Error('Turnpike rate limits are per route: create them with scope.rateLimit({ turnpike: { store } })'))
  }

  child (options: unknown): FastifyRateLimitStore {
    const turnpike = (options as Partial<TurnpikeLimiterOptions>).turnpike
    if (turnpike === undefined) throw new Error('a Turnpike rate limiter needs options.turnpike')
    return new RouteStore(turnpike)
  }
}
