// Relays an upstream response straight onto the client's ServerResponse, as undici
// hands it over (a dispatch handler), with backpressure both ways. This skips the
// Readable that undici's request() builds and the pipe Fastify sets up for it; the
// bytes and the events are the same, and it was measurably faster on the hot path
// (docs/performance.md). Fastify still runs onResponse on 'finish' (access log,
// metrics); the reply is hijacked only once the upstream has answered, so every
// failure before that is an ordinary Fastify error response (502, 504, 413…).
//
// Headers the policies put on the reply (RateLimit-*, CORS, X-Cache…) are merged
// over the upstream's; those on the raw response (security headers) only fill in. On
// a route whose policies need the body (compression, the cache: `route.bodyPolicies`)
// the body goes through `reply.send(stream)` instead, so Fastify's onSend hooks see
// it; that costs a stream per response, on those routes only.
import type { ServerResponse } from 'node:http'
import { PassThrough } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { HeaderEdit } from './headers.js'
import { clientResponseHeaders } from './headers.js'
import { mergeVary } from './vary.js'
import { respondOnStream } from '../http2/respond.js'
import type { Upstream } from '../upstream/upstream-set.js'

type Controller = Dispatcher.DispatchController

/** An answer held back for a retry: never relayed, its body discarded. */
export class HeldStatus extends Error {
  constructor (readonly status: number, grpcStatus?: string) {
    super(`upstream answered ${grpcStatus === undefined ? status : `grpc-status ${grpcStatus}`} (retrying)`)
  }
}

type ResponseHeaders = Record<string, string | string[] | undefined>

/** Says, at response start (status and headers), whether to hold an answer back for a retry. */
export type Hold = (statusCode: number, headers: ResponseHeaders) => boolean

export class ResponseRelay implements Dispatcher.DispatchHandler {
  private controller: Controller | null = null
  private started = false
  private wroteBody = false
  private held = false
  /** The body stream handed to reply.send on a route with body policies; null otherwise. */
  private body: PassThrough | null = null
  private readonly res: ServerResponse
  private readonly resume = (): void => { this.controller?.resume() }

  constructor (
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
    private readonly edit: HeaderEdit,
    private readonly closeConnection: () => boolean,
    private readonly settle: (err?: Error) => void,
    private readonly hold: Hold | undefined,
    /** Send the body through reply.send (Fastify's onSend hooks) rather than straight to the socket. */
    private readonly throughFastify: boolean
  ) {
    this.res = reply.raw
  }

  /** The client went away: stop the upstream work too. */
  clientGone (): void {
    this.controller?.abort(new Error('the client closed the connection'))
  }

  onRequestStart (controller: Controller): void {
    this.controller = controller
    if (this.res.destroyed) this.clientGone()
  }

  onResponseStart (_controller: Controller, statusCode: number, headers: ResponseHeaders): void {
    if (statusCode < 200) return // 1xx informational (103 Early Hints): not relayed
    if (this.hold !== undefined && this.hold(statusCode, headers)) {
      // Decided before a byte reaches the client; the connection goes with the body.
      this.held = true
      const held = new HeldStatus(statusCode, headers['grpc-status'] as string | undefined)
      this.settle(held)
      this.controller?.abort(held)
      return
    }
    const out = clientResponseHeaders(headers, this.edit)
    out['x-request-id'] = this.request.id
    const own = this.reply.getHeaders() // whatever the policies set
    const upstreamVary = out.vary
    for (const name in own) {
      const value = own[name] as string | string[]
      // Set on the raw response (helmet's security headers): a default that the upstream's
      // own value overrides, as Node merges setHeader() under writeHead().
      if (out[name] !== undefined && value === this.res.getHeader(name)) continue
      out[name] = value
    }
    // Vary is a list: a policy's (Origin) adds to the upstream's rather than replacing it.
    if (upstreamVary !== undefined && own.vary !== undefined) out.vary = mergeVary(upstreamVary, own.vary as string | string[])
    const ctx = this.request.turnpike
    // A plugin's response headers (request.turnpike.downstreamHeaders) win over the upstream's.
    const added = ctx.addedDownstreamHeaders
    if (added !== null) for (const [name, value] of added) out[name] = value
    let trailersOnly = false
    const http2 = ctx.protocol !== 'http1'
    if (http2) {
      // gRPC's status comes in the head of a trailers-only answer, else in the trailers.
      if (ctx.protocol === 'grpc' && headers['grpc-status'] !== undefined) {
        ctx.grpcStatus = Number(headers['grpc-status'])
        trailersOnly = true
      }
    } else if (this.closeConnection()) out.connection = 'close' // an HTTP/2 stream has no connection of its own
    this.started = true
    if (this.throughFastify) {
      this.sendThroughFastify(statusCode, out)
      return
    }
    this.reply.hijack()
    this.request.turnpike.streamedBytes = 0
    const res = this.res
    try {
      if (trailersOnly) {
        // It must leave as it came, one HEADERS frame that ends the stream: headers set
        // one by one and end() without writeHead (onResponseEnd) send exactly that.
        // After writeHead the head goes alone, and a client that finds its status
        // neither there nor in trailers reads INTERNAL.
        res.statusCode = statusCode
        for (const name in out) {
          const value = out[name]
          if (value !== undefined) res.setHeader(name, value)
        }
      } else if (!http2 || !respondOnStream(res, statusCode, out, mayHaveTrailers(ctx.upstream, headers))) {
        res.writeHead(statusCode, out)
      }
    } catch (err) {
      // A header Node will not send (it checks values the upstream's parser let through).
      this.controller?.abort(err as Error)
      res.destroy()
      this.settle()
      return
    }
    // Node sends the head with the first body chunk. A body of unknown length (SSE,
    // long polls) may not come for a while: flush the head one turn later if no chunk
    // has taken it along, so an ordinary response still leaves in one write.
    // (res.headersSent is true from writeHead on, sent or not: hence our own flag.)
    // HTTP/2's respond has handed the head to nghttp2 already.
    if (out['content-length'] === undefined && !http2) setImmediate(() => { if (!this.wroteBody && !res.destroyed) res.flushHeaders() })
    this.settle()
  }

  private sendThroughFastify (statusCode: number, out: Record<string, string | string[] | undefined>): void {
    const body = new PassThrough()
    this.body = body
    this.request.turnpike.streamedBytes = 0
    body.on('error', () => { this.controller?.abort(new Error('the client closed the connection')) })
    void this.reply.code(statusCode).headers(out).send(body)
    this.settle()
  }

  onResponseData (controller: Controller, chunk: Buffer): void {
    if (this.held) return
    const ctx = this.request.turnpike
    ctx.streamedBytes = (ctx.streamedBytes ?? 0) + chunk.length
    this.wroteBody = true
    const sink = this.body ?? this.res
    if (!sink.write(chunk)) {
      controller.pause()
      sink.once('drain', this.resume)
    }
  }

  onResponseEnd (_controller: Controller, trailers: Record<string, string | string[] | undefined>): void {
    if (this.held) return
    if (this.body !== null) {
      this.body.end()
      return
    }
    // HTTP/2 trailers (gRPC's grpc-status and grpc-message) go on to an HTTP/2 client.
    if (this.request.turnpike.protocol !== 'http1') relayTrailers(this.request, this.res, trailers)
    this.res.end()
  }

  onResponseError (_controller: Controller, err: Error): void {
    if (this.held) return
    if (!this.started) {
      this.settle(err) // nothing sent yet: Fastify answers with the mapped error
      return
    }
    // Mid-body: the client must see a cut, not a clean end.
    if (this.body !== null) this.body.destroy(err)
    else this.res.destroy(err)
  }
}

/** Whether trailers may follow: from an HTTP/1.1 upstream only after a chunked body. */
function mayHaveTrailers (upstream: Upstream | null, headers: ResponseHeaders): boolean {
  return upstream?.config.protocol !== 'http1' || headers['transfer-encoding'] !== undefined
}

function relayTrailers (request: FastifyRequest, res: ServerResponse, trailers: Record<string, string | string[] | undefined>): void {
  let out: Record<string, string | string[]> | null = null
  for (const name in trailers) {
    const value = trailers[name]
    if (value === undefined || name.charCodeAt(0) === 58) continue
    ;(out ??= {})[name] = value
  }
  if (out === null) return
  const status = out['grpc-status']
  if (status !== undefined) request.turnpike.grpcStatus = Number(status)
  res.addTrailers(out)
}
