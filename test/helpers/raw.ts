// Raw TCP requests, for what an HTTP client library would refuse to send.
import net from 'node:net'

export interface RawResponse {
  readonly status: number
  readonly head: string
  readonly body: string
  readonly raw: string
}

export function parseResponse (raw: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n')
  const head = end === -1 ? raw : raw.slice(0, end)
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)
  return { status, head, body: end === -1 ? '' : raw.slice(end + 4), raw }
}

/** Sends bytes and resolves with everything the server sent until it closed. */
export async function rawRequest (port: number, data: string | Buffer, options: { endAfterWrite?: boolean } = {}): Promise<RawResponse> {
  return await new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' && chunks.length > 0) return
      reject(err)
    })
    socket.on('close', () => { resolve(parseResponse(Buffer.concat(chunks).toString('latin1'))) })
    socket.write(data, () => { if (options.endAfterWrite === true) socket.end() })
  })
}
