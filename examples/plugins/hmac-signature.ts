// An example user plugin: an HMAC request-signature check. A client signs each request
// with a secret it shares with the gateway; a request without a valid, recent signature
// is answered 401 and never reaches an upstream.
//
// The signed string (one field a line, joined by "\n", no trailing newline):
//   METHOD            the request method, upper case
//   PATH              the path and query exactly as sent (`/orders?id=7`)
//   TIMESTAMP         the `x-signature-timestamp` header: Unix time in seconds
//   CONTENT-SHA256    the `x-content-sha256` header: lower-case hex SHA-256 of the body
//                     (of the empty string for a request without one)
// and the `x-signature` header is `sha256=` and the lower-case hex HMAC-SHA256 of it.
//
// The gateway streams bodies to the upstream without reading them, so this plugin checks
// the signature over the body's declared digest, not the body: an upstream that must be
// sure of the body compares it with `x-content-sha256` (the header is passed on).
import { createHmac, timingSafeEqual } from 'node:crypto'
import { definePlugin, Type } from 'turnpike'

const SIGNATURE = /^sha256=([0-9a-f]{64})$/
const DIGEST = /^[0-9a-f]{64}$/

/** The string a client signs; exported for clients and tests written in TypeScript. */
export function canonicalString (method: string, pathAndQuery: string, timestamp: string, contentSha256: string): string {
  return `${method.toUpperCase()}\n${pathAndQuery}\n${timestamp}\n${contentSha256}`
}

export function sign (secret: string, canonical: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(canonical).digest('hex')
}

export default definePlugin({
  name: 'hmac-signature',
  options: Type.Object({
    secret: Type.String({ minLength: 32, description: 'the shared secret (at least 32 characters); write `${HMAC_SECRET}` to take it from the environment' }),
    maxSkew: Type.Integer({ minimum: 1, default: 300, description: 'seconds a signature stays valid either side of the gateway\'s clock' })
  }, { additionalProperties: false }),
  async register (route, options) {
    const { secret, maxSkew } = options
    route.addHook('onRequest', (request, reply, done) => {
      // originalUrl: the request line's target as the client sent (and signed) it.
      const problem = check(request.method, request.originalUrl, request.headers)
      if (problem === undefined) {
        done()
        return
      }
      void reply.code(401).type('application/json; charset=utf-8').send({
        statusCode: 401,
        error: 'Unauthorized',
        code: 'HMAC_SIGNATURE_INVALID',
        message: problem,
        requestId: request.id
      })
    })

    function check (method: string, url: string, headers: Record<string, string | string[] | undefined>): string | undefined {
      const signature = headers['x-signature']
      const timestamp = headers['x-signature-timestamp']
      const digest = headers['x-content-sha256']
      if (typeof signature !== 'string' || typeof timestamp !== 'string' || typeof digest !== 'string') {
        return 'x-signature, x-signature-timestamp and x-content-sha256 are required'
      }
      const given = SIGNATURE.exec(signature)?.[1]
      if (given === undefined || !DIGEST.test(digest) || !/^\d{1,12}$/.test(timestamp)) return 'malformed signature headers'
      if (Math.abs(Date.now() / 1000 - Number(timestamp)) > maxSkew) return 'the signature has expired'
      const expected = createHmac('sha256', secret).update(canonicalString(method, url, timestamp, digest)).digest()
      if (!timingSafeEqual(expected, Buffer.from(given, 'hex'))) return 'bad signature'
      return undefined
    }
  }
})
