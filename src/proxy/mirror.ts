// `mirror`: a copy of `percent` of a route's requests goes to another upstream (a shadow
// deployment under real traffic). The copy is sent right after the real request has
// been handed to its pool, its answer is read and dropped, and nothing about it reaches
// the client: not its status, not its latency, not its failure. A slow or dead mirror
// costs bounded memory: at most `maxInFlight` copies wait at once (each for at most the
// route's timeout), and past that copies are skipped and counted.
//
// A body goes along when it has a Content-Length of at most 64 KiB: it is read whole
// first (as a retried request's is) so both requests can send it. A larger or chunked
// body streams to the real upstream only, and that request is not mirrored.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { IncomingMessage } from 'node:http'
import type { Dispatcher } from 'undici'
import type { GatewayMetrics } from '../metrics.js'
import type { PendingCount } from '../scrape-counts.js'
import type { CompiledRoute } from '../routing/compiled-route.js'
import type { Upstream } from '../upstream/upstream-set.js'
import type { Target } from '../upstream/target.js'
import { headersFor, upstreamPath, type ForwardSettings } from './attempt.js'
import type { OutgoingHeaders } from './headers.js'
import { clientIpOf } from './context.js'
import { forward } from './forward.js'
import { clientError } from './one-attempt.js'
import { readWhole, requestBody } from './request-body.js'
import { Http2Dispatcher } from '../upstream/h2-dispatcher.js'

/** The largest body that is mirrored. */
export const MAX_MIRROR_BODY = 64 * 1024

export class Mirror {
  private inFlight = 0
  private closed = false
  /**
   * Copies waiting for an answer, so close() can cut them (they would hold a pool's
   * close): a list threaded through the copies themselves, so a copy costs no entry
   * in a collection.
   */
  private newest: DroppedAnswer | null = null
  /** This route's series of turnpike_mirror_requests_total, found once (scrape-counts.ts). */
  private counts: Readonly<Record<'sent' | 'failed' | 'skipped', PendingCount>> | null = null

  constructor (private readonly route: string, readonly upstream: Upstream, readonly percent: number, readonly maxInFlight: number,
    private readonly random: () => number = Math.random) {}

  /** Copies in flight now. */
  get active (): number {
    return this.inFlight
  }

  /** Whether copies may still go (close() was not called). */
  get open (): boolean {
    return !this.closed
  }

  /**
   * Forwards the request as usual and, for the sampled share, sends the copy. Not an
   * async function: a request without a body (the common case) returns the real
   * request's own promise, with no promise of its own around it.
   */
  forward (request: FastifyRequest, reply: FastifyReply, route: CompiledRoute, upstream: Upstream, settings: ForwardSettings): Promise<void> {
    if (this.percent < 100 && this.random() * 100 >= this.percent) return forward(request, reply, route, upstream, settings)
    const req = request.raw
    if (!mirrorsBody(req)) {
      this.count(settings.metrics, 'skipped')
      return forward(request, reply, route, upstream, settings)
    }
    // The same checks as any request (413, a malformed body, 100-continue).
    const body = requestBody(req, settings.bodyLimit)
    if (body === req) return this.forwardRead(request, reply, route, upstream, settings)
    const real = forward(request, reply, route, upstream, settings, body)
    if (body === null) this.send(request, route, settings, null)
    else this.count(settings.metrics, 'skipped') // a body that is not the request itself (after an upgrade): not copied
    return real
  }

  /** A body of at most MAX_MIRROR_BODY: read whole first, so that both requests can send it. */
  private async forwardRead (request: FastifyRequest, reply: FastifyReply, route: CompiledRoute, upstream: Upstream, settings: ForwardSettings): Promise<void> {
    let body: Buffer
    try {
      body = await readWhole(request.raw)
    } catch (err) {
      throw clientError(request, err, null, upstream, route, settings)
    }
    const real = forward(request, reply, route, upstream, settings, body)
    this.send(request, route, settings, body)
    await real
  }

  private count (metrics: GatewayMetrics, result: 'sent' | 'failed' | 'skipped'): void {
    const counts = this.counts ??= Object.freeze({
      sent: metrics.mirrorCount(this.route, 'sent'),
      failed: metrics.mirrorCount(this.route, 'failed'),
      skipped: metrics.mirrorCount(this.route, 'skipped')
    })
    counts[result].pending++
  }

  /** The generation is done: copies still waiting are cut (counted failed), no new ones go. */
  close (): void {
    this.closed = true
    for (let copy = this.newest; copy !== null; copy = copy.older) copy.abort()
  }

  /** A copy is over: answered (`ok`) or not. Called once per copy. */
  settled (copy: DroppedAnswer, ok: boolean, metrics: GatewayMetrics): void {
    this.inFlight--
    if (copy.newer === null) this.newest = copy.older
    else copy.newer.older = copy.older
    if (copy.older !== null) copy.older.newer = copy.newer
    this.count(metrics, ok ? 'sent' : 'failed')
  }

  private send (request: FastifyRequest, route: CompiledRoute, settings: ForwardSettings, body: Buffer | null): void {
    if (this.inFlight >= this.maxInFlight || this.closed) {
      this.count(settings.metrics, 'skipped')
      return
    }
    const target = this.upstream.balancer.pick({ clientIp: clientIpOf(request), hashKey: undefined })
    if (target === undefined) {
      this.count(settings.metrics, 'skipped')
      return
    }
    this.inFlight++
    const copy = new DroppedAnswer(this, settings.metrics, this.newest)
    if (this.newest !== null) this.newest.newer = copy
    this.newest = copy
    const timeout = route.config.timeout
    target.state.pool.dispatch({
      path: upstreamPath(request, route),
      method: request.raw.method as 'GET',
      headers: this.headersOf(request, route, target, settings),
      body,
      headersTimeout: timeout,
      bodyTimeout: timeout
    }, target.state.pool instanceof Http2Dispatcher ? copy.asStreamHandler() : copy)
  }

  /**
   * The real attempt's headers (it has been sent by now), with the mirror target's Host
   * unless the route preserves the client's: a copy of a few properties instead of
   * building them again from the client's (about 0.7 µs a copy). Built afresh only when
   * the real request never got as far as an attempt (no target, say).
   *
   * To an HTTP/1.1 pool they go as a flat list, and the target's own Host is left out
   * when the pool would send the same one itself (a listed target: undici writes the
   * Host of its origin, prepared once per pool): one header fewer for undici to check
   * per copy, and no server name derived from it (about 2,300 instructions of a copy's
   * 78,000 in isolation).
   */
  private headersOf (request: FastifyRequest, route: CompiledRoute, target: Target, settings: ForwardSettings): string[] | OutgoingHeaders {
    const sent = request.turnpike.sentHeaders
    if (sent === null) return headersFor(request, route, target, settings)
    const host = route.config.preserveHost ? null : target.host
    if (target.state.pool instanceof Http2Dispatcher) { // ours: takes headers as an object only
      const copy = { ...sent }
      if (host !== null) copy.host = host
      return copy
    }
    const poolsHost = host !== null && originHasHost(target)
    const headers: string[] = []
    for (const name in sent) {
      let value = sent[name] as string | string[]
      if (host !== null && name === 'host') {
        if (poolsHost) continue
        value = host
      }
      if (typeof value === 'string') headers.push(name, value)
      else for (let i = 0; i < value.length; i++) headers.push(name, value[i] as string)
    }
    return headers
  }
}

/**
 * Whether the target's origin is `scheme://` + its Host, as for every listed target
 * (both come from one URL): then undici's Host for the pool is that Host. Not so for a
 * discovered target (the origin has the address, Host the name).
 */
function originHasHost (target: Target): boolean {
  const origin = target.origin
  const host = target.host
  return origin.endsWith(host) && origin.charCodeAt(origin.length - host.length - 1) === 47 // '/'
}

/** No body, or one with a Content-Length within MAX_MIRROR_BODY. */
function mirrorsBody (req: IncomingMessage): boolean {
  const declared = req.headers['content-length']
  if (declared === undefined) return req.headers['transfer-encoding'] === undefined
  return Number(declared) <= MAX_MIRROR_BODY
}

/**
 * Reads an answer to its end and forgets it; tells the mirror once whether one came.
 * Written to undici's older handler callbacks (onConnect … onComplete), which undici
 * still drives natively: the newer ones (onRequestStart …) go through an adapter that
 * allocates a controller and parses the answer's headers into an object per response,
 * work a copy whose answer is thrown away does not need (measured: docs/performance.md).
 */
class DroppedAnswer implements Dispatcher.DispatchHandler {
  /** The neighbours in the mirror's list of copies in flight. */
  newer: DroppedAnswer | null = null
  private cut: ((err: Error) => void) | null = null
  private done = false

  constructor (private readonly mirror: Mirror, private readonly metrics: GatewayMetrics, public older: DroppedAnswer | null) {}

  abort (): void {
    this.cut?.(new Error('the gateway generation closed'))
  }

  onConnect (abort: (err?: Error) => void): void {
    this.cut = abort
    if (!this.mirror.open) abort(new Error('the gateway generation closed'))
  }

  /**
   * The same copy for our HTTP/2 dispatcher, which calls only undici's newer callbacks
   * (onRequestStart … onResponseEnd): without them a copy would never settle and would
   * hold its place in maxInFlight for good.
   */
  asStreamHandler (): Dispatcher.DispatchHandler {
    return {
      onRequestStart: (controller) => { this.onConnect((err) => { controller.abort(err ?? new Error('the mirror copy was cut')) }) },
      onResponseStart: () => undefined,
      onResponseData: () => undefined,
      onResponseEnd: () => { this.onComplete() },
      onResponseError: () => { this.onError() }
    }
  }

  onHeaders (): boolean { return true }
  onData (): boolean { return true }
  onComplete (): void { this.finish(true) }
  onError (): void { this.finish(false) }

  private finish (ok: boolean): void {
    if (this.done) return
    this.done = true
    this.cut = null
    this.mirror.settled(this, ok, this.metrics)
  }
}
