// The key a hash balancer hashes for a request, from the upstream's `hashOn`:
// `ip` (the default), `header:NAME`, `cookie:NAME` or `claim:NAME`. undefined when the
// request does not carry it; the balancer then falls back to the client IP.
import type { FastifyRequest } from 'fastify'
import type { UpstreamConfig } from '../config/schema.js'
import { clientIpOf } from '../proxy/context.js'
import { usesHashKey } from './balancers/index.js'

export type KeyReader = (request: FastifyRequest) => string | undefined

/** The reader of an upstream's hash key, made once when the upstream is built; undefined when its balancer does not hash. */
export function balancerKeyReader (config: Readonly<UpstreamConfig>): KeyReader | undefined {
  return usesHashKey(config.balancer) ? hashKeyReader(config.hashOn) : undefined
}

/** Parses `hashOn` once, at config time: the request path only calls the reader. */
export function hashKeyReader (hashOn: string | undefined): KeyReader {
  if (hashOn === undefined || hashOn === 'ip') return clientIpOf
  const colon = hashOn.indexOf(':')
  const kind = hashOn.slice(0, colon)
  const name = hashOn.slice(colon + 1)
  switch (kind) {
    case 'header': {
      const lower = name.toLowerCase()
      return (request) => nonEmpty(request.headers[lower])
    }
    case 'cookie':
      return (request) => {
        const header = request.headers.cookie
        return header === undefined ? undefined : cookieValue(header, name)
      }
    case 'claim':
      // The auth policy leaves a verified JWT's claims on request.turnpike.claims; a
      // request without them (public route, API key) falls back to its client IP.
      return (request) => {
        const value = request.turnpike.claims?.[name]
        return typeof value === 'string' ? nonEmpty(value) : typeof value === 'number' ? String(value) : undefined
      }
    default:
      // The schema admits only the forms above.
      throw new Error(`bad hashOn '${hashOn}'`)
  }
}

function nonEmpty (value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value
  return text === undefined || text === '' ? undefined : text
}

/** The value of one cookie, found by scanning the header: no parse of the others. */
export function cookieValue (header: string, name: string): string | undefined {
  let start = 0
  while (start < header.length) {
    let end = header.indexOf(';', start)
    if (end === -1) end = header.length
    while (start < end && (header.charCodeAt(start) === 32 || header.charCodeAt(start) === 9)) start++
    if (header.startsWith(name, start) && header.charCodeAt(start + name.length) === 61 /* = */ && start + name.length < end) {
      let value = header.slice(start + name.length + 1, end).trim()
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
      return value === '' ? undefined : value
    }
    start = end + 1
  }
  return undefined
}
