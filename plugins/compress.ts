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
import fp from 'fastify-plugin'
import fastifyCompress, { type FastifyCompressOptions } from '@fastify/compress'
import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify'
import type { PolicyOptions } from '../src/policies.js'
import { mergeVary } from '../src/proxy/vary.js'

const THRESHOLD = 1024

const COMPRESS_OPTIONS: FastifyCompressOptions = {
  encodings: ['br', 'gzip'],
  threshold: THRESHOLD,
  global: true,
  globalDecompression: false
}

/**
 * @fastify/compress decides per Fastify route (its onRoute hook gives each route an
 * onSend hook), but every gateway route shares one catch-all Fastify route. So the
 * plugin is run against a stand-in and shown a route, and the onSend hook it builds
 * for that route is called from ours, per request, for compressing routes only.
 */
function compressHook (options: FastifyCompressOptions): onSendHookHandler {
  let onRoute: ((route: { onSend?: onSendHookHandler[] }) => void) | undefined
  const standIn = {
    decorateReply () {},
    addHook (name: string, fn: typeof onRoute) { if (name === 'onRoute') onRoute = fn }
  }
  const plugin = fastifyCompress as unknown as (instance: unknown, opts: FastifyCompressOptions, done: (err?: Error) => void) => void
  plugin(standIn, options, (err) => { if (err !== undefined) throw err })
  const route: { onSend?: onSendHookHandler[] } = {}
  onRoute?.(route)
  const hook = route.onSend?.[0]
  if (hook === undefined) throw new Error('@fastify/compress added no onSend hook')
  return hook
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

async function compressPolicy (scope: FastifyInstance, options: PolicyOptions): Promise<void> {
  if (!options.table.routes.some((route) => route.config.compress)) return
  const compress = compressHook(COMPRESS_OPTIONS)

  scope.addHook('onSend', function compressBody (request, reply, payload, done) {
    const route = request.turnpike?.route // null on the gateway's own 404/405/400
    if (route === null || route === undefined || !route.config.compress || !mayCompress(request, reply, payload)) {
      done(null, payload)
      return
    }
    varyOnAcceptEncoding(reply)
    compress.call(this, request, reply, payload, done)
  })
}

export default fp(compressPolicy, { name: 'turnpike-compress', fastify: '5.x' })
