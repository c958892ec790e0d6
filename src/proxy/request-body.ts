// The request body as undici should send it upstream: streamed, and held to
// server.bodyLimit. A declared Content-Length over the limit is refused before any
// upstream is contacted; a chunked body is counted as it streams and cut (413) the
// moment it passes the limit. The first HOLD_BYTES of a chunked body are read before
// anything goes upstream (undici writes the request head with the first body bytes),
// so a small chunked body whose framing breaks is refused (400) without any upstream
// having seen the request. `Expect: 100-continue` is answered here, once the body is
// really wanted, so a refused upload is never sent.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import { BadRequestError, BodyTooLargeError } from '../errors.js'
import { BodyLimitExceeded, BodyMalformed } from './body-faults.js'
import { bodyAfterUpgrade } from './websocket.js'


/**
 * Chunked bodies up to this size reach the upstream only once they are complete and
 * well-framed; of a larger one the upstream may have seen this much before the
 * framing broke (the request is then cut, the client told 400).
 */
export const HOLD_BYTES = 64 * 1024

/** Sends the interim `100 Continue` of a request that asked for one (see deferContinue). */
const SEND_CONTINUE = Symbol('turnpike.sendContinue')
/** The body has been handed to undici: from here on it streams upstream. */
const HANDED_ON = Symbol('turnpike.bodyHandedOn')
/** llhttp failed inside this request's body (a malformed chunk, say). */
const MALFORMED = Symbol('turnpike.bodyMalformed')
/** Wakes a chunked body being held when its framing breaks. */
const ON_MALFORMED = Symbol('turnpike.onBodyMalformed')

interface BodyRequest extends IncomingMessage {
  [SEND_CONTINUE]?: () => void
  [HANDED_ON]?: boolean
  [MALFORMED]?: boolean
  [ON_MALFORMED]?: () => void
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
  r[ON_MALFORMED]?.()
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

/**
 * A chunked body for undici: the first HOLD_BYTES (or all of a smaller body) are
 * collected before the first yield, then the rest streams. While held, a framing error
 * (refuseBody) ends it with BodyMalformed and nothing has gone upstream.
 */
async function * chunked (req: BodyRequest, limit: number): AsyncGenerator<Buffer> {
  const chunks = req[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  const malformed = new Promise<never>((_resolve, reject) => {
    const fail = (): void => { reject(new BodyMalformed('malformed chunked request body')) }
    if (req[MALFORMED] === true) fail()
    else req[ON_MALFORMED] = fail
  })
  malformed.catch(() => undefined) // observed below; never an unhandled rejection
  const held: Buffer[] = []
  let seen = 0
  let done = false
  try {
    while (seen < HOLD_BYTES) {
      const next = await Promise.race([chunks.next(), malformed])
      if (next.done === true) {
        done = true
        break
      }
      seen += next.value.length
      if (seen > limit) throw new BodyLimitExceeded(`request body over ${limit} bytes`)
      held.push(next.value)
    }
  } finally {
    req[ON_MALFORMED] = undefined
  }
  req[HANDED_ON] = true
  if (seen > 0) yield held.length === 1 ? held[0] as Buffer : Buffer.concat(held, seen)
  if (done) return
  for (;;) {
    const next = await chunks.next()
    if (next.done === true) return
    seen += next.value.length
    if (seen > limit) throw new BodyLimitExceeded(`request body over ${limit} bytes`)
    yield next.value
  }
}

/**
 * An HTTP/2 body of no declared length: there is one unless the HEADERS frame ended
 * the stream. HTTP/2 frames it, so there is no framing to hold back for; each chunk
 * goes on as it comes (a gRPC stream sends a message and waits for the answer).
 */
function http2Body (req: BodyRequest, limit: number): Readable | null {
  if ((req as { stream?: { endAfterHeaders?: boolean } }).stream?.endAfterHeaders !== false) return null
  req[HANDED_ON] = true
  return counted(req, limit) as unknown as Readable
}

async function * counted (req: BodyRequest, limit: number): AsyncGenerator<Buffer> {
  let seen = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    seen += chunk.length
    if (seen > limit) throw new BodyLimitExceeded(`request body over ${limit} bytes`)
    yield chunk
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
  if (req.httpVersionMajor === 2) return http2Body(r, limit)
  if (req.headers['transfer-encoding'] === undefined) return null
  bodyAfterUpgrade(req, null) // an upgrade request with a chunked body: 400
  sendContinue(req)
  // undici streams any async iterable; its typings only name Readable.
  return chunked(r, limit) as unknown as Readable
}

/**
 * Whether `body` is the request itself, still to stream, with a Content-Length of at
 * most `max`: small enough to be read whole first (readWhole) so it can be sent twice.
 */
export function fitsWhole (req: IncomingMessage, body: unknown, max: number): boolean {
  return body === req && Number(req.headers['content-length']) <= max
}

/**
 * A body of a known, small length (a Content-Length within 64 KiB) read whole, so that
 * it can be sent more than once: by a retry, or to a mirror beside the real upstream.
 */
export async function readWhole (req: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk)
  return Buffer.concat(chunks)
}
