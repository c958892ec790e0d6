// A small node:http2 client for tests: one request on a session, the answer collected.
import { connect, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders, type SecureClientSessionOptions } from 'node:http2'
import { once } from 'node:events'

export interface H2Answer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly trailers: IncomingHttpHeaders
  readonly body: string
  /** True when the head ended the stream (a trailers-only gRPC answer, or a bodiless one). */
  readonly endedWithHead: boolean
}

export async function openSession (url: string, options: SecureClientSessionOptions = {}): Promise<ClientHttp2Session> {
  const session = connect(url, options)
  session.on('error', () => undefined)
  // The server's SETTINGS have arrived (remoteSettings holds defaults until then).
  await once(session, 'remoteSettings')
  return session
}

export async function h2Request (session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: string | Buffer): Promise<H2Answer> {
  const stream = session.request(headers, { endStream: body === undefined })
  if (body !== undefined) stream.end(body)
  let endedWithHead = false
  let trailers: IncomingHttpHeaders = {}
  const chunks: Buffer[] = []
  const head = new Promise<IncomingHttpHeaders>((resolve, reject) => {
    stream.once('response', (h, flags) => {
      endedWithHead = (flags & 1) === 1
      resolve(h)
    })
    stream.once('error', reject)
  })
  stream.on('trailers', (t) => { trailers = t })
  stream.on('data', (c: Buffer) => chunks.push(c))
  const headers2 = await head
  if (!stream.readableEnded) await once(stream, 'end')
  return { status: Number(headers2[':status']), headers: headers2, trailers, body: Buffer.concat(chunks).toString(), endedWithHead }
}

/** One GET on a fresh session. */
export async function h2Get (url: string, path: string, extra: OutgoingHttpHeaders = {}, options: SecureClientSessionOptions = {}): Promise<H2Answer> {
  const session = await openSession(url, options)
  try {
    return await h2Request(session, { ':method': 'GET', ':path': path, ...extra })
  } finally {
    session.close()
  }
}
