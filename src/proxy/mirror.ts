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
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { CompiledRoute } from '../routing/compiled-route.js'
import type { Upstream } from '../upstream/upstream-set.js'
import { headersFor, upstreamPath, type ForwardSettings } from './attempt.js'
import { clientIpOf } from './context.js'
import { forward } from './forward.js'
import { clientError } from './one-attempt.js'
import { requestBody } from './request-body.js'

/** The largest body that is mirrored. */
export const MAX_MIRROR_BODY = 64 * 1024

export class Mirror {
  private inFlight = 0
  private closed = false
  /** Copies waiting for an answer, so close() can cut them: they would hold a pool's close. */
  private readonly copies = new Set<DroppedAnswer>()

  constructor (private readonly route: string, readonly upstream: Upstream, readonly percent: number, readonly maxInFlight: number,
    private readonly random: () => number = Math.random) {}

  /** Copies in flight now. */
  get active (): number {
    return this.inFlight
  }

  /** Forwards the request as usual and, for the sampled share, sends the copy. */
  async forward (request: FastifyRequest, reply: FastifyReply, route: CompiledRoute, upstream: Upstream, settings: ForwardSettings): Promise<void> {
    if (this.percent < 100 && this.random() * 100 >= this.percent) return await forward(request, reply, route, upstream, settings)
    const req = request.raw
    let body: Readable | Buffer | null
    if (!mirrorsBody(req)) {
      settings.metrics.countMirror(this.route, 'skipped')
      return await forward(request, reply, route, upstream, settings)
    }
    // The same checks as any request (413, a malformed body, 100-continue), then read it whole.
    body = requestBody(req, settings.bodyLimit)
    if (body === req) {
      try {
        body = await buffered(req)
      } catch (err) {
        throw clientError(request, err, null, upstream, route, settings)
      }
    }
    const real = forward(request, reply, route, upstream, settings, body)
    if (body === null || Buffer.isBuffer(body)) this.send(request, route, settings, body)
    else settings.metrics.countMirror(this.route, 'skipped')
    await real
  }

  /** The generation is done: copies still waiting are cut (counted failed), no new ones go. */
  close (): void {
    this.closed = true
    for (const copy of this.copies) copy.abort()
  }

  private send (request: FastifyRequest, route: CompiledRoute, settings: ForwardSettings, body: Buffer | null): void {
    if (this.inFlight >= this.maxInFlight || this.closed) {
      settings.metrics.countMirror(this.route, 'skipped')
      return
    }
    const target = this.upstream.balancer.pick({ clientIp: clientIpOf(request), hashKey: undefined })
    if (target === undefined) {
      settings.metrics.countMirror(this.route, 'skipped')
      return
    }
    this.inFlight++
    const copy = new DroppedAnswer((ok) => {
      this.inFlight--
      this.copies.delete(copy)
      settings.metrics.countMirror(this.route, ok ? 'sent' : 'failed')
    })
    this.copies.add(copy)
    const timeout = route.config.timeout
    target.state.pool.dispatch({
      path: upstreamPath(request, route),
      method: request.raw.method as 'GET',
      headers: headersFor(request, route, target, settings),
      body,
      headersTimeout: timeout,
      bodyTimeout: timeout
    }, copy)
  }
}

/** No body, or one with a Content-Length within MAX_MIRROR_BODY. */
function mirrorsBody (req: IncomingMessage): boolean {
  const declared = req.headers['content-length']
  if (declared === undefined) return req.headers['transfer-encoding'] === undefined
  return Number(declared) <= MAX_MIRROR_BODY
}

/** Reads an answer to its end and forgets it; reports once whether one came. */
class DroppedAnswer implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined
  private aborted = false

  constructor (private readonly done: (ok: boolean) => void) {}

  abort (): void {
    this.aborted = true
    this.controller?.abort(new Error('the gateway generation closed'))
  }

  onRequestStart (controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.aborted) controller.abort(new Error('the gateway generation closed'))
  }

  onResponseStart (): void {}
  onResponseData (): void {}
  onResponseEnd (): void { this.done(true) }
  onResponseError (): void { this.done(false) }
}

async function buffered (req: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk)
  return Buffer.concat(chunks)
}
