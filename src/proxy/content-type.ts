// Request bodies pass through untouched, so a Content-Type the gateway could not parse
// is none of its business: the upstream decides. Fastify, though, parses the header of
// every request with a body method before any body parser runs, and answers 415 for
// one it cannot read (`;;;`, `text`, `/json`). The edge swaps such a value for a
// placeholder Fastify accepts, and the catch-all body parser (app.ts) puts the original
// back before any hook that forwards the request runs.
import type { IncomingMessage } from 'node:http'

/** `type/subtype`, then parameters or nothing: a value Fastify reads (checked by a regex, no allocation). */
const READABLE = /^\s*[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+\s*(?:;|$)/

/** Methods whose Content-Type Fastify never looks at. */
const BODYLESS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'TRACE'])

const SHELVED = Symbol('turnpike.contentType')

interface ShelvedRequest extends IncomingMessage {
  [SHELVED]?: string
}

export function shelveUnparsableContentType (req: IncomingMessage): void {
  const value = req.headers['content-type']
  if (value === undefined || READABLE.test(value) || BODYLESS.has(req.method ?? '')) return
  (req as ShelvedRequest)[SHELVED] = value
  req.headers['content-type'] = 'application/octet-stream'
}

/** Called by the catch-all body parser: the client's own Content-Type again. */
export function restoreContentType (req: IncomingMessage): void {
  const value = (req as ShelvedRequest)[SHELVED]
  if (value !== undefined) req.headers['content-type'] = value
}
