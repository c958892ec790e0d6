// The first look at every request, before Fastify routes it (Fastify's rewriteUrl):
// request-target form, Host, header count and path normalization. It cannot answer the
// request itself, so it leaves its verdict on the raw request and the first onRequest
// hook turns a refusal into the error response (logged and counted like any other).
import type { IncomingMessage } from 'node:http'
import { BadPathError, BadRequestError, HeadersTooLargeError } from '../errors.js'
import { hostOf } from '../routing/route-table.js'
import { normalizeTarget, PathError } from '../routing/normalize.js'

export interface EdgeVerdict {
  path: string
  query: string
  host: string
  error: Error | null
}

export const EDGE = Symbol('turnpike.edge')

export interface EdgeRequest extends IncomingMessage {
  [EDGE]?: EdgeVerdict
}

function countHost (rawHeaders: string[]): number {
  let hosts = 0
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++
  }
  return hosts
}

function refuse (error: Error): EdgeVerdict {
  return { path: '/', query: '', host: '', error }
}

/** Splits an absolute-form target (`http://host/path`) into authority and origin-form. */
function absoluteForm (url: string): { authority: string, target: string } | null {
  const lower = url.slice(0, 8).toLowerCase()
  const start = lower.startsWith('http://') ? 7 : lower.startsWith('https://') ? 8 : -1
  if (start === -1) return null
  const slash = url.indexOf('/', start)
  const q = url.indexOf('?', start)
  const end = slash === -1 ? (q === -1 ? url.length : q) : (q !== -1 && q < slash ? q : slash)
  const rest = url.slice(end)
  return { authority: url.slice(start, end), target: rest.startsWith('/') ? rest : '/' + rest }
}

export function inspectRequest (req: IncomingMessage, maxHeaderCount: number): EdgeVerdict {
  // Node keeps at most maxHeadersCount headers (set to our limit + 1) and drops the
  // rest silently; seeing more than the limit means "too many", never truncation.
  if (req.rawHeaders.length / 2 > maxHeaderCount) {
    return refuse(new HeadersTooLargeError(`More than ${maxHeaderCount} request headers`))
  }
  const hosts = countHost(req.rawHeaders)
  if (hosts > 1) return refuse(new BadRequestError('Duplicate Host header'))
  if (hosts === 0 && req.httpVersionMinor === 1) return refuse(new BadRequestError('Missing Host header'))
  let target = req.url ?? '/'
  let hostHeader = req.headers.host
  if (target.charCodeAt(0) !== 47) {
    // RFC 9112 §3.2.2: for an absolute-form target the authority replaces Host. It
    // only ever selects among our routes; the upstream always comes from the route.
    const abs = absoluteForm(target)
    if (abs === null) return refuse(new BadPathError('request target must be a path or an absolute http(s) URL'))
    target = abs.target
    hostHeader = abs.authority
  }
  try {
    const { path, query } = normalizeTarget(target)
    return { path, query, host: hostOf(hostHeader), error: null }
  } catch (err) {
    if (err instanceof PathError) return refuse(new BadPathError(err.message))
    throw err
  }
}
