// The request body as undici should send it upstream: streamed, never buffered, and
// held to server.bodyLimit. A declared Content-Length over the limit is refused before
// any upstream is contacted; a chunked body is counted as it streams and cut (413)
// the moment it passes the limit. `Expect: 100-continue` is answered here, once the
// body is really wanted, so a refused upload is never sent.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import { BadRequestError, BodyTooLargeError } from '../errors.js'
import { bodyAfterUpgrade } from './websocket.js'

export class BodyLimitExceeded extends Error {}

/** Sends the interim `100 Continue` of a request that asked for one (see deferContinue). */
const SEND_CONTINUE = Symbol('turnpike.sendContinue')
/** The body has been handed to undici: from here on it streams upstream. */
const HANDED_ON = Symbol('turnpike.bodyHandedOn')
/** llhttp failed inside this request's body (a malformed chunk, say). */
const MALFORMED = Symbol('turnpike.bodyMalformed')

interface BodyRequest extends IncomingMessage {
  [SEND_CONTINUE]?: () => void
  [HANDED_ON]?: boolean
  [MALFORMED]?: boolean
}

/**
 * Called by the listener when the body of a request already being handled fails to
 * parse. Node dispatches a request as soon as its headers are in, so a bad chunk that
 * came with them is seen before any upstream is contacted: requestBody() then refuses
 * it (400) and no upstream ever sees it. False when it is too late for that: the body
 * is already streaming upstream.
 */
export function refuseBody (req: IncomingMessage): boolean {
  const r = req as BodyRequest
  if (r[HANDED_ON] === true) return false
  r[MALFORMED] = true
  return true
}

/**
 * Called by the listener for a request with `Expect: 100-continue`: the 100 is held
 * back until requestBody() hands the body to undici, i.e. after routing, auth, rate
 * limits and the Content-Length check have all let the request through.
 */
export function deferContinue (req: IncomingMessage, res: ServerResponse): void {
  (req as BodyRequest)[SEND_CONTINUE] = () => { res.writeContinue() }
}

/** Tells a client waiting on `Expect: 100-continue` to send its body (once). */
export function sendContinue (req: IncomingMessage): void {
  const r = req as BodyRequest
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
  const r = req as BodyRequest
  if (r[MALFORMED] === true) throw new BadRequestError('Malformed request body')
  const declared = req.headers['content-length']
  if (declared !== undefined) {
    const length = Number(declared)
    if (length > limit) throw new BodyTooLargeError(limit)
    if (length === 0) return null
    r[HANDED_ON] = true
    sendContinue(req)
    return bodyAfterUpgrade(req, length) ?? req
  }
  if (req.headers['transfer-encoding'] === undefined) return null
  bodyAfterUpgrade(req, null) // an upgrade request with a chunked body: 400
  r[HANDED_ON] = true
  sendContinue(req)
  // undici streams any async iterable; its typings only name Readable.
  return limited(req, limit) as unknown as Readable
}
