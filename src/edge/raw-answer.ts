// A complete JSON error response written straight on a socket that no ServerResponse
// owns (a parse error, a CONNECT, an upgrade refused before Fastify saw it), in the
// same shape as every other error the gateway answers. The connection then closes.
import type { Duplex } from 'node:stream'
import { errorBody, rawErrorResponse } from '../error-body.js'

export function answerOnSocket (socket: Duplex, status: number, code: string, message: string, extra = ''): void {
  socket.end(rawErrorResponse(errorBody(status, code, message), extra))
}
