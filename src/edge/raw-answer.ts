// A complete JSON error response written straight on a socket that no ServerResponse
// owns (a parse error, a CONNECT, an upgrade refused before Fastify saw it), in the
// same shape as every other error the gateway answers. The connection then closes.
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'

export function answerOnSocket (socket: Duplex, status: number, code: string, message: string, extra = ''): void {
  const body = JSON.stringify({ statusCode: status, error: STATUS_CODES[status], code, message })
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`)
}
