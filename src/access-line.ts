// The access log: one line per finished request. Through pino (`accessFields` given to
// logger.info) when the logger is not the gateway's own, and otherwise (AccessLine)
// built here as the same JSON pino would write and handed to the log sink directly:
// pino's generic serializer looks up serializers and escapes every key of every line,
// about 0.6 µs of CPU a line that a route's fixed set of keys, with its bindings
// serialized once, does not need (bench/log-lines.ts). A test holds both to the same output.
import type { FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { clientIpOf } from './proxy/context.js'
import { jsonString as quote, millisecondsText } from './json-text.js'

/** The fields of an access-log line, for a logger that is not the gateway's own. */
export function accessFields (request: FastifyRequest, status: number, seconds: number, incomplete = false): Record<string, unknown> {
  const ctx = request.turnpike
  return {
    reqId: request.id,
    method: request.method,
    path: ctx.path,
    target: ctx.target?.origin,
    status,
    durationMs: Math.round(seconds * 1e6) / 1e3,
    bytes: ctx.streamedBytes ?? 0,
    clientIp: clientIpOf(request),
    user: ctx.identity?.id,
    clientCert: ctx.clientCert?.subject,
    protocol: ctx.protocol,
    grpcStatus: ctx.grpcStatus ?? undefined,
    incomplete: incomplete ? true : undefined
  }
}

/** Where lines go: the LineSink (log-sink.ts), or anything that takes whole lines. */
export interface LineWriter {
  write (line: string): unknown
}

/** A route's access-log line, written as pino would write it through `logger` (a child with the route's bindings). */
export class AccessLine {
  /** `,"pid":…` and the logger's bindings: what pino writes between time and the fields. */
  private readonly bindings: string

  constructor (private readonly sink: LineWriter, private readonly logger: Logger) {
    let bindings = `,"pid":${process.pid}`
    for (const [name, value] of Object.entries(logger.bindings())) bindings += `,${JSON.stringify(name)}:${JSON.stringify(value)}`
    this.bindings = bindings
  }

  /** `incomplete`: the response closed before it finished (cut, or the client left). */
  write (request: FastifyRequest, status: number, seconds: number, incomplete = false): void {
    if (!this.logger.isLevelEnabled('info')) return
    const ctx = request.turnpike
    const target = ctx.target
    const identity = ctx.identity
    const cert = ctx.clientCert
    const grpc = ctx.grpcStatus
    // A URL origin, the protocol and the method need no escaping (Node's HTTP/1.1 parser
    // takes only the methods it knows, and nghttp2 only a token as :method); the rest
    // may (a plugin can even set request.id), and quote() escapes as JSON.stringify does.
    this.sink.write(`{"level":30,"time":${Date.now()}${this.bindings},"reqId":${quote(request.id)},"method":"${request.method}","path":${quote(ctx.path)}${
      target === null ? '' : `,"target":"${target.origin}"`},"status":${status},"durationMs":${millisecondsText(seconds)},"bytes":${ctx.streamedBytes ?? 0},"clientIp":${quote(clientIpOf(request))}${
      identity === null ? '' : `,"user":${quote(identity.id)}`}${cert === null ? '' : `,"clientCert":${quote(cert.subject)}`},"protocol":"${ctx.protocol}"${
      grpc === null ? '' : `,"grpcStatus":${grpc}`}${incomplete ? ',"incomplete":true' : ''},"msg":"access"}\n`)
  }
}
