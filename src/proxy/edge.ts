// The first look at every request, before Fastify routes it (Fastify's rewriteUrl):
// header count, Host, body framing and declared size, request-target form and path
// normalization. It cannot answer the request itself: its verdict goes into the
// request's context (src/proxy/context.ts), and the first onRequest hook turns a
// refusal into the error response (logged and counted like any other).
import type { IncomingMessage } from 'node:http'
import { BadPathError, BadRequestError, BodyTooLargeError, HeadersTooLargeError, VersionNotSupportedError } from '../errors.js'
import { shelveUnparsableContentType } from './content-type.js'
import { hostOf } from '../routing/route-table.js'
import { normalizeTarget, PathError } from '../routing/normalize.js'

export interface EdgeVerdict {
  path: string
  query: string
  host: string
  error: Error | null
}

function countHost (rawHeaders: string[]): number {
  let hosts = 0
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++
  }
  return hosts
}

// RFC 3986 host[:port]: a reg-name or IPv4 address, or an [IPv6] literal. Like nginx
// (ngx_http_validate_host), anything else is 400: a Host (or absolute-form authority)
// with `/`, `\`, `@` (userinfo), spaces or `..` would otherwise flow into host-matched
// routes, X-Forwarded-Host and, with preserveHost, the upstream's own Host.
const VALID_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]*)(?::[0-9]*)?$/

function validHost (host: string): boolean {
  return VALID_HOST.test(host) && !host.includes('..')
}

/**
 * Framing that llhttp accepts but that the gateway would silently change: undici
 * re-frames every body it forwards, so a transfer coding other than `chunked` (e.g.
 * `gzip, chunked`) would reach the upstream as plain bytes with no header saying so.
 * nginx refuses those (501), and RFC 9112 §6.1 says an HTTP/1.0 message with
 * Transfer-Encoding has faulty framing (nginx: 400).
 */
function badFraming (req: IncomingMessage): Error | null {
  const te = req.headers['transfer-encoding']
  if (te === undefined) return null
  if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) return new BadRequestError('Transfer-Encoding in an HTTP/1.0 request')
  if (te.trim().toLowerCase() !== 'chunked') return new BadRequestError('Transfer-Encoding other than chunked is not supported')
  return null
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

/**
 * Only HTTP/1.x is spoken here. llhttp takes a request line without a version
 * (`GET /x`) as HTTP/0.9, which has neither headers nor Host; forwarded, it became an
 * HTTP/1.1 request without a Host. It is refused (400) instead (nginx 1.22 still
 * answers it the HTTP/0.9 way, with a bare body). `HTTP/2.0` on an HTTP/1 connection
 * is 505, as nginx answers.
 */
function badVersion (req: IncomingMessage): Error | null {
  const major = req.httpVersionMajor
  if (major === 1) return null
  if (major === 0) return new BadRequestError('A request line without an HTTP version (HTTP/0.9) is not supported')
  return new VersionNotSupportedError(`HTTP/${req.httpVersion} is not supported on this connection; use HTTP/1.1`)
}

function examine (req: IncomingMessage, maxHeaderCount: number, bodyLimit: number): EdgeVerdict {
  const version = badVersion(req)
  if (version !== null) return refuse(version)
  // Node keeps at most maxHeadersCount headers (set to our limit + 1) and drops the
  // rest silently; seeing more than the limit means "too many", never truncation.
  if (req.rawHeaders.length / 2 > maxHeaderCount) {
    return refuse(new HeadersTooLargeError(`More than ${maxHeaderCount} request headers`))
  }
  const hosts = countHost(req.rawHeaders)
  if (hosts > 1) return refuse(new BadRequestError('Duplicate Host header'))
  if (hosts === 0 && req.httpVersionMinor === 1) return refuse(new BadRequestError('Missing Host header'))
  const framing = badFraming(req)
  if (framing !== null) return refuse(framing)
  // Refused here, while the headers are being parsed, rather than in the handler: by
  // then Node may already have parsed and dispatched a request pipelined behind it.
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > bodyLimit) return refuse(new BodyTooLargeError(bodyLimit))
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
  if (hostHeader !== undefined && !validHost(hostHeader)) return refuse(new BadRequestError('Invalid Host header or request-target authority'))
  // From here on the authority is the Host for everyone (X-Forwarded-Host, preserveHost).
  if (hostHeader !== req.headers.host && hostHeader !== undefined) req.headers.host = hostHeader
  try {
    const { path, query } = normalizeTarget(target)
    shelveUnparsableContentType(req)
    return { path, query, host: hostOf(hostHeader), error: null }
  } catch (err) {
    if (err instanceof PathError) return refuse(new BadPathError(err.message))
    throw err
  }
}

/** Connections on which a request was refused; its response closes them. */
const refusedOn = new WeakSet<object>()

/**
 * The edge verdict for one request. bodyLimit (server.bodyLimit) lets a declared
 * Content-Length over the limit be refused here; without it request-body.ts does so.
 */
export function inspectRequest (req: IncomingMessage, maxHeaderCount: number, bodyLimit = Infinity): EdgeVerdict {
  // Why: Node parses pipelined requests eagerly and dispatches each one as soon as its
  // headers are in, while the one before is still being answered. A refusal goes out
  // with `Connection: close`, so the client never sees an answer to what follows it
  // (nginx never even reads it); it must not reach an upstream either, e.g. a request
  // smuggled behind a `Transfer-Encoding: gzip, chunked` body.
  if (refusedOn.has(req.socket)) return refuse(new BadRequestError('An earlier request on this connection was refused'))
  const verdict = examine(req, maxHeaderCount, bodyLimit)
  if (verdict.error !== null) refusedOn.add(req.socket)
  return verdict
}
