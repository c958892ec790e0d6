// A proxied answer's head to an HTTP/2 client, sent on the compat response's own
// Http2Stream (stream.respond) instead of through Http2ServerResponse.writeHead.
// writeHead copies every header into the compat response's header object one
// setHeader at a time (trim, lower-case, token check per name) only to hand that
// object to stream.respond, which copies it again; and it always asks for trailers,
// so every response ends with an extra round from nghttp2 into JavaScript
// ('wantTrailers', sendTrailers({}) on a setImmediate) and an empty DATA frame.
// Here the head goes straight to respond, and trailers are asked for only when the
// upstream can send some. What the client receives is the same head and body; the
// body's last DATA frame carries END_STREAM itself when there are no trailers.
//
// Whatever writeHead would treat specially (a stream already closed, a status it
// rejects, a header name it would rewrite or refuse, a value it would refuse, the
// Connection header it drops with a warning, sendDate turned off) goes the writeHead
// way still, so it keeps doing exactly what it did.
import type { ServerResponse } from 'node:http'
import type { Http2ServerResponse, ServerStreamResponseOptions } from 'node:http2'

type Headers = Record<string, string | string[] | undefined>

/**
 * Sends `statusCode` and `headers` (lower-case names) as the head of `res`, an HTTP/2
 * compat response; `trailers`: whether trailers may follow the body. False when it
 * cannot (the caller uses writeHead then). Throws what respond throws.
 */
export function respondOnStream (res: ServerResponse, statusCode: number, headers: Headers, trailers: boolean): boolean {
  const compat = res as unknown as Http2ServerResponse
  const stream = compat.stream
  if (statusCode > 599 || stream.destroyed || stream.closed || !compat.sendDate || !plain(headers)) return false
  // The compat response's status: what Fastify's onResponse, the access log and the metrics read.
  compat.statusCode = statusCode
  headers[':status'] = statusCode as unknown as string
  // The options object has the shape writeHead's has (sendDate is Node's own option,
  // not in its types): respond copies it and sets endStream, which on another shape
  // made each call a property-adding store through V8's runtime and its loads megamorphic (+7k instructions).
  stream.respond(headers, { endStream: false, waitForTrailers: trailers, sendDate: true } as ServerStreamResponseOptions)
  return true
}

/** Every name a lower-case token other than `connection`, every value set: what writeHead passes through unchanged. */
function plain (headers: Headers): boolean {
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined || value === null || name === 'connection' || !lowerToken(name)) return false
  }
  return true
}

/** RFC 9110 token characters, without upper-case letters (writeHead lower-cases names; two spellings would merge). */
function lowerToken (name: string): boolean {
  const length = name.length
  if (length === 0) return false
  for (let i = 0; i < length; i++) {
    const c = name.charCodeAt(i)
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45) continue // a-z 0-9 -
    // ! # $ % & ' * + . ^ _ ` | ~
    if (c === 33 || (c >= 35 && c <= 39) || c === 42 || c === 43 || c === 46 || c === 94 || c === 95 || c === 96 || c === 124 || c === 126) continue
    return false
  }
  return true
}
