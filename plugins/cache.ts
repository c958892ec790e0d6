// The response cache: GET and HEAD on routes with `cache`, looked up
// in preHandler (after IP rules, rate limits and auth have had their say) and filled
// in onSend, where the upstream body arrives as a stream on these routes
// (`route.bodyPolicies`, src/proxy/response-relay.ts). A hit never reaches the upstream.
// What may be stored is decided in src/cache/policy.ts; where it lives in
// src/cache/local-store.ts (in-process LRU) or src/cache/redis-store.ts (shared).
//
// Other methods get no X-Cache header and are not counted: they are not cache
// requests. An unsafe one (POST, PUT, PATCH, DELETE) that succeeds drops the entry
// for its URL (RFC 9111 §4.4), so a write is not followed by a stale read.
import { Transform, pipeline, type Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { PolicyOptions, RoutePolicy } from '../src/routing/route-policy.js'
import type { CompiledRoute } from '../src/routing/compiled-route.js'
import { ageSeconds, isFresh, type CacheEntry, type StoredHeaders } from '../src/cache/entry.js'
import { primaryKey, variantKey } from '../src/cache/key.js'
import { LocalStore } from '../src/cache/local-store.js'
import { credentialHeaders, requestMode, storeDecision, type StoreDecision } from '../src/cache/policy.js'
import { mergeVary } from '../src/proxy/vary.js'
import { RedisStore } from '../src/cache/redis-store.js'
import { UNAVAILABLE, type CacheStore, type Lookup } from '../src/cache/store.js'

const UNSAFE: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** Response headers that belong to one exchange, never to the stored answer. */
const NOT_STORED: ReadonlySet<string> = new Set([
  'content-length', 'age', 'x-cache', 'x-request-id', 'set-cookie', 'connection', 'keep-alive',
  'transfer-encoding', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-connection'
])

export function prepareCache (options: PolicyOptions): RoutePolicy | null {
  const { config, edge, metrics } = options
  if (!config.routes.some((route) => route.cache !== undefined)) return null
  const link = edge.redis
  const store: CacheStore = link !== null ? new RedisStore(link) : edge.keep('cache:local', () => new LocalStore())
  const credentials = credentialHeaders(config.auth?.apiKeys?.header)

  const authenticated = (request: FastifyRequest): boolean => {
    if (request.turnpike.identity !== null) return true
    for (const name of credentials) if (request.headers[name] !== undefined) return true
    return false
  }

  const keyOf = (request: FastifyRequest, route: CompiledRoute): string => {
    const ctx = request.turnpike
    return primaryKey(route.name, request.protocol, ctx.host, request.host, ctx.path, ctx.query)
  }

  const bypass = (reply: FastifyReply, route: CompiledRoute): void => {
    reply.header('x-cache', 'BYPASS')
    metrics.countCacheRequest(route.name, 'bypass')
  }

  /** Not in the cache: upstream it goes, and a GET's answer is stored if it may be. */
  const miss = (request: FastifyRequest, reply: FastifyReply, route: CompiledRoute, key: string): void => {
    reply.header('x-cache', 'MISS')
    metrics.countCacheRequest(route.name, 'miss')
    if (request.method === 'GET') request.turnpike.cachePending = { kind: 'store', key, own: new Set(Object.keys(reply.getHeaders())) }
  }

  const hit = (reply: FastifyReply, route: CompiledRoute, entry: CacheEntry): void => {
    // As on a proxied answer, the headers the policies set win over the stored ones,
    // except Vary, a list both add to (src/proxy/response-relay.ts does the same).
    for (const [name, value] of entry.headers) {
      if (!reply.hasHeader(name)) reply.header(name, value)
      else if (name === 'vary') reply.header('vary', mergeVary(reply.getHeader('vary'), value))
    }
    reply.header('x-cache', 'HIT')
    reply.header('age', String(ageSeconds(entry, Date.now())))
    metrics.countCacheRequest(route.name, 'hit')
    // For HEAD, Node sends the Content-Length of the body and drops the body itself.
    void reply.code(entry.status).send(entry.body)
  }

  /** Resolves a lookup that may or may not be a promise, without a promise when it is not. */
  const whenFound = (found: Lookup | Promise<Lookup>, next: (found: Lookup) => void, fail: (err: Error) => void): void => {
    if (!(found instanceof Promise)) {
      next(found)
      return
    }
    found.then(next).catch(fail) // the stores never reject: this only guards against a bug in `next`
  }

  return (scope, route) => {
    const settings = route.config.cache
    if (settings === undefined) return
    scope.addHook('preHandler', (request, reply, done) => cacheLookup(request, reply, route, done))
    scope.addHook('onSend', (request, reply, payload, done) => { done(null, cacheFill(request, reply, settings, payload)) })
  }

  function cacheLookup (request: FastifyRequest, reply: FastifyReply, route: CompiledRoute, done: (err?: Error) => void): void {
    const settings = route.config.cache as NonNullable<CompiledRoute['config']['cache']>
    if (request.headers.upgrade !== undefined) {
      done()
      return
    }
    const method = request.method
    if (method !== 'GET' && method !== 'HEAD') {
      if (UNSAFE.has(method)) request.turnpike.cachePending = { kind: 'invalidate', key: keyOf(request, route) }
      done()
      return
    }
    if (!settings.authenticated && authenticated(request)) {
      bypass(reply, route)
      done()
      return
    }
    const key = keyOf(request, route)
    const mode = requestMode(request.headers['cache-control'], request.headers.pragma)
    if (mode !== 'lookup') {
      bypass(reply, route)
      // A `no-cache` GET fetches a fresh answer: it replaces the stored one.
      if (mode === 'refresh' && method === 'GET') request.turnpike.cachePending = { kind: 'store', key, own: new Set(Object.keys(reply.getHeaders())) }
      done()
      return
    }
    const answer = (found: Lookup): void => {
      const now = Date.now()
      if (found === UNAVAILABLE) {
        bypass(reply, route)
        done()
      } else if (found === undefined || !isFresh(found, now)) {
        miss(request, reply, route, key)
        done()
      } else if (found.kind === 'entry') {
        hit(reply, route, found)
      } else {
        whenFound(store.get(variantKey(key, found.names, request.headers), request.turnpike), (variant) => {
          if (variant === UNAVAILABLE) {
            bypass(reply, route)
            done()
          } else if (variant?.kind === 'entry' && isFresh(variant, Date.now())) {
            hit(reply, route, variant)
          } else {
            miss(request, reply, route, key)
            done()
          }
        }, done)
      }
    }
    whenFound(store.get(key, request.turnpike), answer, done)
  }

  /** The payload to send on: the upstream's body, teed into the store when it may be kept. */
  function cacheFill (request: FastifyRequest, reply: FastifyReply, settings: { ttl: number, maxBodySize: number }, payload: unknown): unknown {
    const pending = request.turnpike.cachePending
    if (pending === null) return payload
    request.turnpike.cachePending = null
    const status = reply.statusCode
    if (pending.kind === 'invalidate') {
      if (status < 400) store.delete(pending.key)
      return payload
    }
    const { ttl, maxBodySize } = settings
    const headers = reply.getHeaders()
    const now = Date.now()
    const decision = storeDecision(status, headers, ttl, maxBodySize, now)
    if (decision === null) return payload
    const save = (body: Buffer): void => {
      const stored: Array<readonly [string, string | string[]]> = []
      for (const name in headers) {
        const value = headers[name]
        // Vary is kept whole: it is the upstream's and the policies' together (the relay merged them).
        if (value === undefined || NOT_STORED.has(name) || (pending.own.has(name) && name !== 'vary')) continue
        stored.push([name, typeof value === 'number' ? String(value) : value])
      }
      storeAnswer(store, request, pending.key, decision, {
        kind: 'entry', status, headers: stored as StoredHeaders, storedAt: now, expiresAt: now + decision.ttlMs, upstreamAge: decision.upstreamAge, body
      })
    }
    if (payload === null || payload === undefined) {
      save(Buffer.alloc(0))
      return payload
    }
    if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
      const body = typeof payload === 'string' ? Buffer.from(payload) : payload
      if (body.length <= maxBodySize) save(body)
      return payload
    }
    if (typeof (payload as Readable).pipe === 'function') return tee(payload as Readable, maxBodySize, save)
    return payload
  }
}

function storeAnswer (store: CacheStore, request: FastifyRequest, key: string, decision: StoreDecision, entry: CacheEntry): void {
  if (decision.vary.length === 0) {
    store.set(key, entry, decision.ttlMs)
    return
  }
  store.set(key, { kind: 'vary', names: decision.vary, expiresAt: entry.expiresAt }, decision.ttlMs)
  store.set(variantKey(key, decision.vary, request.headers), entry, decision.ttlMs)
}

/**
 * The client's copy of `source`, collecting the body on the way for `save`, called
 * only when the body ended complete and within `limit`. Past the limit it stops
 * collecting; the client still gets every byte, and a cut upstream stays a cut.
 */
function tee (source: Readable, limit: number, save: (body: Buffer) => void): Transform {
  let chunks: Buffer[] | null = []
  let size = 0
  const out = new Transform({
    transform (chunk: Buffer, _encoding, callback) {
      if (chunks !== null) {
        size += chunk.length
        if (size > limit) chunks = null
        else chunks.push(chunk)
      }
      callback(null, chunk)
    },
    flush (callback) {
      if (chunks !== null) save(Buffer.concat(chunks, size))
      callback()
    }
  })
  pipeline(source, out, () => {}) // an error destroys both: the relay stops, the client sees the cut
  return out
}
