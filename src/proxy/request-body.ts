// The request body as undici should send it upstream: streamed, never buffered, and
// held to server.bodyLimit. A declared Content-Length over the limit is refused before
// any upstream is contacted; a chunked body is counted as it streams and cut (413)
// the moment it passes the limit. `Expect: 100-continue` is answered here, once the
// body is really wanted, so a refused upload is never sent.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import { BodyTooLargeError } from '../errors.js'

export class BodyLimitExceeded extends Error {}

/** Sends the interim `100 Continue` of a request that asked for one (see deferContinue). */
const SEND_CONTINUE = Symbol('turnpike.sendContinue')

interface ContinueRequest extends IncomingMessage {
  [SEND_CONTINUE]?: () => void
}

/**
 * Called by the listener for a request with `Expect: 100-continue`: the 100 is held
 * back until requestBody() hands the body to undici, i.e. after routing, auth, rate
 * limits and the Content-Length check have all let the request through.
 */
export function deferContinue (req: IncomingMessage, res: ServerResponse): void {
  (req as ContinueRequest)[SEND_CONTINUE] = () => { res.writeContinue() }
}

/** Tells a client waiting on `Expect: 100-continue` to send its body (once). */
export function sendContinue (req: IncomingMessage): void {
  const r = req as ContinueRequest
  const send = r[SEND_CONTINUE]
  if (send === undefined) return
  r[SEND_CONTINUE] = undefined
  send()
}

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
    if (length === 0) return null
    sendContinue(req)
    return req
  }
  if (req.headers['transfer-encoding'] === undefined) return null
  sendContinue(req)
  // undici streams any async iterable; its typings only name Readable.
  return limited(req, limit) as unknown as Readable
}
