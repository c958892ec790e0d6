// Response compression (route `compress: true`) with @fastify/compress: br or gzip, as
// the client's Accept-Encoding prefers them (q-values included; br on a tie), for
// bodies of 1 KiB or more. A body of unknown length (streamed, chunked) counts as large.
//
// Never compressed: HEAD, 1xx/204/304, a body the upstream already encoded (any
// Content-Encoding), `text/event-stream` (a compressor holds events back until its
// buffer fills, and SSE must reach the client as the upstream flushes it), and types
// @fastify/compress deems incompressible (images, video…). A response that may be
// compressed carries `Vary: Accept-Encoding` whether or not this client got it
// compressed, so a shared cache keeps the variants apart.
//
// On these routes the relay sends the upstream body through reply.send (a stream;
// `route.bodyPolicies`), so onSend sees it; `request.turnpike.streamedBytes` counts the
// upstream's bytes before compression. Request bodies are never decompressed: they go
// to the upstream as the client sent them.
//
// @fastify/compress is registered (global) into the scope of each route with
// `compress: true` only, and gives that route its onSend hook. It compresses every
// stream it is handed, so the cases above that it would not leave alone by itself
// (HEAD, 204/304, a known length under the threshold) are decided by one onSend hook
// of ours that runs before it and, for those, sets `x-no-compression` on the request:
// the header @fastify/compress documents for "do not compress this one".
import fastifyCompress, { type FastifyCompressOptions } from '@fastify/compress'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { PolicyOptions, RoutePolicy } from '../src/routing/route-policy.js'
import { mergeVary } from '../src/proxy/vary.js'

const THRESHOLD = 1024

const COMPRESS_OPTIONS: FastifyCompressOptions = {
  encodings: ['br', 'gzip'],
  threshold: THRESHOLD,
  global: true,
  globalDecompression: false
}

function bodySize (reply: FastifyReply, payload: unknown): number | undefined {
  if (typeof payload === 'string') return Buffer.byteLength(payload)
  if (Buffer.isBuffer(payload)) return payload.length
  const length = reply.getHeader('content-length')
  return length === undefined ? undefined : Number(length)
}

/** Everything but the client's Accept-Encoding that decides against compression. */
function mayCompress (request: FastifyRequest, reply: FastifyReply, payload: unknown): boolean {
  if (payload === null || payload === undefined || request.method === 'HEAD') return false
  const status = reply.statusCode
  if (status < 200 || status === 204 || status === 304) return false
  if (reply.hasHeader('content-encoding')) return false
  const type = reply.getHeader('content-type')
  if (typeof type === 'string' && type.trimStart().toLowerCase().startsWith('text/event-stream')) return false
  const size = bodySize(reply, payload)
  return size === undefined || size >= THRESHOLD
}

function varyOnAcceptEncoding (reply: FastifyReply): void {
  // Lower case: @fastify/compress looks for this exact spelling before adding its own.
  reply.header('vary', mergeVary(reply.getHeader('vary'), 'accept-encoding'))
}

export function prepareCompress (options: PolicyOptions): RoutePolicy | null {
  if (!options.table.routes.some((route) => route.config.compress)) return null
  return async (scope, route) => {
    if (!route.config.compress) return
    scope.addHook('onSend', function compressOrNot (request, reply, payload, done) {
      if (mayCompress(request, reply, payload)) varyOnAcceptEncoding(reply)
      else request.raw.headers['x-no-compression'] = '1'
      done(null, payload)
    })
    await scope.register(fastifyCompress, COMPRESS_OPTIONS)
  }
}
