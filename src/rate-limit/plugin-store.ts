// The seam to @fastify/rate-limit, which keeps the headers, the 429 and the hooks'
// bookkeeping, while Turnpike keeps the counting. The plugin builds its store from a
// class (`store: PluginStore`) and asks it for a child per limiter with that limiter's
// options merged in; each limiter passes `turnpike: { store }`, the route's RateStore.
import type { FastifyRateLimitStore } from '@fastify/rate-limit'
import type { Verdict } from './algorithms.js'
import type { RateStore } from './local-store.js'

type Callback = (error: Error | null, result?: Verdict) => void

/** What a limiter adds to @fastify/rate-limit's options (copied through to `child`). */
export interface TurnpikeLimiterOptions {
  readonly turnpike: { readonly store: RateStore }
}

class RouteStore implements FastifyRateLimitStore {
  constructor (private readonly store: RateStore) {}

  incr (key: string, callback: Callback): void {
    const verdict = this.store.check(key)
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
    const store = (options as Partial<TurnpikeLimiterOptions>).turnpike?.store
    if (store === undefined) throw new Error('a Turnpike rate limiter needs options.turnpike.store')
    return new RouteStore(store)
  }
}
