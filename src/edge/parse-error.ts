// What a parse error that Node reports ('clientError') is answered with, worked out
// from the error and the bytes llhttp was parsing: the status, code and message, and
// the method for the metrics label.
import { BadRequestError, BodyTooLargeError, HeadersTooLargeError, RequestTimeoutError, UriTooLongError } from '../errors.js'
import { DEFAULT_METHODS } from '../routing/compiled-route.js'

/** The status, code and message of a refusal: a catalogue error's status and code (src/errors.ts). */
export type Refusal = readonly [status: number, code: string, message: string]

function refusalOf (err: { readonly statusCode?: number, readonly code: string }, message: string): Refusal {
  return Object.freeze([err.statusCode ?? 400, err.code, message] as const)
}

const CLIENT_ERRORS: Readonly<Record<string, Refusal>> = Object.freeze({
  HPE_HEADER_OVERFLOW: refusalOf(new HeadersTooLargeError(), 'Request headers are larger than server.maxHeaderSize'),
  ERR_HTTP_REQUEST_TIMEOUT: refusalOf(new RequestTimeoutError(), 'Request headers were not received in time'),
  // BodyTooLargeError's own message names the body limit, which is not what was passed here.
  HPE_CHUNK_EXTENSIONS_OVERFLOW: refusalOf(new BodyTooLargeError(), 'Chunk extensions are too large')
})
const URI_TOO_LONG = refusalOf(new UriTooLongError(), 'Request line is longer than server.maxHeaderSize')
const MALFORMED = refusalOf(new BadRequestError(), 'Malformed HTTP request')

const KNOWN_METHODS: ReadonlySet<string> = new Set([...DEFAULT_METHODS, 'CONNECT', 'TRACE'])

export interface ParseError extends Error {
  code?: string
  bytesParsed?: number
  rawPacket?: Buffer
}

/** The bytes of the request the parse error lies in, as far as the packet shows them. */
export function requestBytes (err: ParseError): Buffer {
  const packet = err.rawPacket
  if (packet === undefined) return Buffer.alloc(0)
  const parsed = packet.subarray(0, err.bytesParsed ?? packet.length)
  // A request pipelined behind complete ones starts after the last blank line.
  const end = parsed.lastIndexOf('\n\r\n')
  return end === -1 ? parsed : parsed.subarray(end + 3)
}

/** A metrics label for the method of a request that failed to parse: never free text. */
export function methodOf (bytes: Buffer): string {
  const method = /^([A-Z]{1,10}) /.exec(bytes.subarray(0, 12).toString('latin1'))?.[1] ?? ''
  return KNOWN_METHODS.has(method) ? method : 'OTHER'
}

/**
 * Whether a header overflow lies in the request line (414, as nginx answers) rather
 * than in the headers (431). llhttp says only "header overflow"; the bytes tell: a
 * request line that has not ended yet has no line break. A packet in the middle of a
 * long line is told by having no space, tab or colon either, so a single header of more
 * than maxHeaderSize without any, split over many TCP segments, may be called 414 too.
 */
function inRequestLine (bytes: Buffer): boolean {
  if (bytes.includes(10)) return false
  if (/^[A-Z]{1,20} \S/.test(bytes.subarray(0, 24).toString('latin1'))) return true
  return !bytes.includes(32) && !bytes.includes(9) && !bytes.includes(58)
}

export function refusal (err: ParseError, bytes: Buffer): Refusal {
  if (err.code === 'HPE_HEADER_OVERFLOW' && inRequestLine(bytes)) return URI_TOO_LONG
  const code = err.code ?? ''
  return Object.hasOwn(CLIENT_ERRORS, code) ? CLIENT_ERRORS[code]! : MALFORMED
}
