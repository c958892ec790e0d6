// What a limit counts by (`keyBy`), as a function of the request made once per route.
// A request without the key value counts by its IP. Values are tagged by kind so that a
// header value cannot stand for someone's IP, long values are hashed so that 100 000
// counters stay small, and a raw API key is never held: only its SHA-256.
import { createHash } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { clientIpOf } from '../proxy/context.js'

export type KeyOf = (request: FastifyRequest) => string

const LONGEST_KEPT = 64

function sha256 (value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}

function bounded (value: string): string {
  return value.length <= LONGEST_KEPT ? value : sha256(value)
}

const byIp: KeyOf = (request) => 'ip:' + clientIpOf(request)

function headerValue (request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name]
  const text = Array.isArray(value) ? value.join(', ') : value
  return text === undefined || text === '' ? undefined : text
}

/** `ip` | `header:NAME` | `apiKey` | `claim:NAME`; `apiKeyHeader` is auth.apiKeys.header. */
export function keyOf (keyBy: string, apiKeyHeader: string): KeyOf {
  if (keyBy.startsWith('header:')) {
    const name = keyBy.slice('header:'.length).toLowerCase()
    return (request) => {
      const value = headerValue(request, name)
      return value === undefined ? byIp(request) : 'h:' + bounded(value)
    }
  }
  if (keyBy.startsWith('claim:')) {
    const name = keyBy.slice('claim:'.length)
    return (request) => {
      const value = request.turnpike.claims?.[name]
      const usable = typeof value === 'string' ? value !== '' : typeof value === 'number' || typeof value === 'boolean'
      return usable ? 'c:' + bounded(String(value)) : byIp(request)
    }
  }
  if (keyBy === 'apiKey') {
    const header = apiKeyHeader.toLowerCase()
    return (request) => {
      const identity = request.turnpike.identity
      if (identity?.kind === 'apiKey') return 'k:' + bounded(identity.id)
      // A route without apiKey auth still counts by the key the client sends, unverified.
      const raw = headerValue(request, header)
      return raw === undefined ? byIp(request) : 'kh:' + sha256(raw)
    }
  }
  return byIp
}
