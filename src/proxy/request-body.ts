// The request body as undici should send it upstream: streamed, never buffered, and
// held to server.bodyLimit. A declared Content-Length over the limit is refused before
// any upstream is contacted; a chunked body is counted as it streams and cut (413)
// the moment it passes the limit.
import type { IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'
import { BodyTooLargeError } from '../errors.js'

export class BodyLimitExceeded extends Error {}

async function * limited (req: IncomingMessage, limit: number): AsyncGenerator<Buffer> {
  let seen = 0
  for await (const chunk of req) {
    seen += (chunk as Buffer).length
    if (seen > limit) throw new BodyLimitExceeded(`request body over ${limit} bytes`)
    yield chunk as Buffer
  }
}

/** undici's `body` option for this request: null, the request itself, or a counting stream. */
export function requestBody (req: IncomingMessage, limit: number): Readable | null {
  const declared = req.headers['content-length']
  if (declared !== undefined) {
    const length = Number(declared)
    if (length > limit) throw new BodyTooLargeError(limit)
    return length === 0 ? null : req
  }
  if (req.headers['transfer-encoding'] === undefined) return null
  // undici streams any async iterable; its typings only name Readable.
  return limited(req, limit) as unknown as Readable
}
