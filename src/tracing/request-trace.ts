// The spans of one request: a SERVER span from the routing hook to the response (the
// child of the client's `traceparent` when it sent a valid one), and a CLIENT span per
// upstream attempt, so retries show as sibling spans. Each attempt's context goes
// upstream in `traceparent`/`tracestate` (W3C Trace Context). Only ever loaded and
// built while tracing is on: with it off, RequestContext.trace stays null, and the
// request path imports nothing from here but types.
import {
  defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace,
  type Context, type Span, type Tracer
} from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import {
  ATTR_CLIENT_ADDRESS, ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_URL_PATH
} from '@opentelemetry/semantic-conventions'
import type { FastifyRequest } from 'fastify'
import type { OutgoingHeaders } from '../proxy/headers.js'
import type { CompiledRoute } from '../routing/compiled-route.js'
import type { Target, TargetState } from '../upstream/target.js'

const propagator = new W3CTraceContextPropagator()

/** server.address and server.port of a target, parsed once per target. */
const addresses = new WeakMap<TargetState, { address: string, port: number }>()

function addressOf (target: Target): { address: string, port: number } {
  let found = addresses.get(target.state)
  if (found === undefined) {
    const url = new URL(target.origin)
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port)
    found = { address: url.hostname.replace(/^\[(.*)\]$/, '$1'), port }
    addresses.set(target.state, found)
  }
  return found
}

export class RequestTrace {
  private attempts = 0
  private ended = false
  private readonly context: Context

  constructor (private readonly tracer: Tracer, readonly span: Span, private readonly method: string) {
    this.context = trace.setSpan(ROOT_CONTEXT, span)
  }

  /** Starts the server span, continuing the client's trace when it sent one. */
  static start (tracer: Tracer, request: FastifyRequest, clientAddress: string): RequestTrace {
    const parent = propagator.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter)
    const span = tracer.startSpan(request.method, {
      kind: SpanKind.SERVER,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: request.method,
        [ATTR_URL_PATH]: request.turnpike.path,
        [ATTR_CLIENT_ADDRESS]: clientAddress
      }
    }, parent)
    return new RequestTrace(tracer, span, request.method)
  }

  /**
   * Starts the span of the next upstream attempt and writes its context into the
   * upstream request's headers, replacing whatever trace context the client sent.
   */
  attempt (request: FastifyRequest, route: CompiledRoute, target: Target, headers: OutgoingHeaders): UpstreamAttempt {
    const n = ++this.attempts
    const { address, port } = addressOf(target)
    const method = this.method
    const upstream = request.turnpike.upstream?.name ?? route.upstream ?? ''
    const span = this.tracer.startSpan(`${method} ${upstream}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_SERVER_ADDRESS]: address,
        [ATTR_SERVER_PORT]: port,
        [ATTR_URL_PATH]: route.toUpstreamPath(request.turnpike.path),
        'turnpike.upstream': upstream,
        'turnpike.attempt': n,
        'turnpike.retry': n > 1,
        ...(n > 1 ? { [ATTR_HTTP_REQUEST_RESEND_COUNT]: n - 1 } : {})
      }
    }, this.context)
    delete headers.traceparent
    delete headers.tracestate
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), headers, defaultTextMapSetter)
    return new UpstreamAttempt(span)
  }

  /** Ends the server span with the status the client got; later calls do nothing. */
  finish (status: number, route: CompiledRoute | null): void {
    if (this.ended) return
    this.ended = true
    const span = this.span
    if (route !== null) {
      span.updateName(`${this.method} ${route.name}`)
      span.setAttribute(ATTR_HTTP_ROUTE, route.name)
      span.setAttribute('turnpike.route', route.name)
    }
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
    if (status >= 500) {
      span.setAttribute(ATTR_ERROR_TYPE, String(status))
      span.setStatus({ code: SpanStatusCode.ERROR })
    }
    span.end()
  }
}

/** The span of one upstream attempt. */
export class UpstreamAttempt {
  constructor (readonly span: Span) {}

  /** The upstream answered `status` (relayed, or held back for a retry). */
  answered (status: number): void {
    const span = this.span
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
    if (status >= 500) {
      span.setAttribute(ATTR_ERROR_TYPE, String(status))
      span.setStatus({ code: SpanStatusCode.ERROR })
    }
    span.end()
  }

  /** No answer came: refused, reset, timed out, or the target's circuit was open. */
  failed (err: unknown): void {
    const held = (err as { status?: unknown } | null)?.status
    if (typeof held === 'number') {
      this.answered(held) // a retryable status held back (HeldStatus)
      return
    }
    const code = (err as { code?: unknown } | null)?.code
    const message = err instanceof Error ? err.message : String(err)
    this.span.setAttribute(ATTR_ERROR_TYPE, typeof code === 'string' ? code : err instanceof Error ? err.name : 'error')
    this.span.setStatus({ code: SpanStatusCode.ERROR, message })
    this.span.end()
  }
}
