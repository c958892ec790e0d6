// gRPC over the gateway: telling a gRPC request apart, and the gRPC status that stands
// for each HTTP status the gateway answers with itself. A gRPC client reads only
// grpc-status (HTTP 200 with a trailers-only response), so a JSON 404 would reach it
// as a bare "UNKNOWN" or "INTERNAL" error.
import type { IncomingMessage } from 'node:http'
import type { RequestProtocol } from '../metrics.js'

/** gRPC status codes the gateway answers with (grpc/doc/statuscodes.md). */
export const GrpcStatus = {
  OK: 0,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16
} as const

/** `content-type: application/grpc` or `application/grpc+proto` etc. (not grpc-web, which is HTTP/1-friendly). */
export function isGrpc (req: IncomingMessage): boolean {
  const type = req.headers['content-type']
  return typeof type === 'string' && type.startsWith('application/grpc') && !type.startsWith('application/grpc-web')
}

/** How the client spoke (the `protocol` metrics label): HTTP/1.x, HTTP/2, or gRPC over HTTP/2. */
export function protocolOf (req: IncomingMessage): RequestProtocol {
  return req.httpVersionMajor !== 2 ? 'http1' : isGrpc(req) ? 'grpc' : 'h2'
}

/** The gRPC status for one of the gateway's own HTTP answers. */
export function grpcStatusFor (httpStatus: number): number {
  switch (httpStatus) {
    case 400: case 413: case 431: return GrpcStatus.INTERNAL // the gRPC spec's mapping of a malformed request
    case 401: return GrpcStatus.UNAUTHENTICATED
    case 403: return GrpcStatus.PERMISSION_DENIED
    case 404: case 405: return GrpcStatus.UNIMPLEMENTED
    case 429: return GrpcStatus.RESOURCE_EXHAUSTED
    case 502: case 503: return GrpcStatus.UNAVAILABLE
    case 504: return GrpcStatus.DEADLINE_EXCEEDED
    default: return httpStatus >= 500 ? GrpcStatus.INTERNAL : GrpcStatus.UNKNOWN
  }
}

/** grpc-message is percent-encoded (gRPC over HTTP/2: Percent-Encoded), printable ASCII except `%` as is. */
export function grpcMessage (text: string): string {
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : '%' + byte.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

/** `grpc-timeout` (e.g. `5S`, `250m`, `100u`) in milliseconds; undefined when absent or malformed. */
export function grpcTimeoutMs (value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined
  const match = /^(\d{1,8})([HMSmun])$/.exec(value)
  if (match === null) return undefined
  const n = Number(match[1])
  switch (match[2]) {
    case 'H': return n * 3_600_000
    case 'M': return n * 60_000
    case 'S': return n * 1000
    case 'm': return n
    case 'u': return Math.ceil(n / 1000)
    default: return Math.ceil(n / 1_000_000)
  }
}

/** grpc-timeout's units, finest first, each with its length in nanoseconds. */
const UNITS: ReadonlyArray<readonly [string, number]> = [['n', 1], ['u', 1e3], ['m', 1e6], ['S', 1e9], ['M', 6e10], ['H', 3.6e12]]

/** The most grpc-timeout can say: 8 digits. */
const MAX_COUNT = 99_999_999

/**
 * `ms` as a `grpc-timeout` value: the finest unit whose count fits in 8 digits,
 * rounded up so the upstream is never told less than is left, and never `0` (at least
 * one of the unit). Past 99999999H (11,000 years), that.
 */
export function formatGrpcTimeout (ms: number): string {
  const ns = ms * 1e6 // whole milliseconds give every unit a whole count
  for (const [unit, length] of UNITS) {
    const count = Math.max(1, Math.ceil(ns / length))
    if (count <= MAX_COUNT) return String(count) + unit
  }
  return String(MAX_COUNT) + 'H'
}

/**
 * How long the gateway waits for the upstream's answer to a gRPC call, over all its
 * attempts (deadline.ts): the client's deadline (`grpc-timeout`) when it is shorter
 * than the route's timeout (0: none). Past it the client gets DEADLINE_EXCEEDED.
 */
export function grpcDeadline (header: string | string[] | undefined, routeTimeout: number): number {
  const deadline = grpcTimeoutMs(header)
  if (deadline === undefined) return routeTimeout
  return routeTimeout > 0 ? Math.min(routeTimeout, Math.max(1, deadline)) : Math.max(1, deadline)
}
