// The gateway's own answer to a gRPC request: HTTP 200 and a trailers-only response
// (one HEADERS frame that ends the stream, carrying grpc-status and grpc-message),
// which is what a gRPC client reads as a call's status. Logged and counted with the
// HTTP status it stands for (the access log also gets the gRPC status).
import type { FastifyReply, FastifyRequest } from 'fastify'
import { grpcMessage, grpcStatusFor } from './status.js'

export function answerGrpc (request: FastifyRequest, reply: FastifyReply, httpStatus: number, message: string): void {
  const res = reply.raw
  const grpcStatus = grpcStatusFor(httpStatus)
  if (request.turnpike !== null) {
    request.turnpike.grpcStatus = grpcStatus
    request.turnpike.answeredAs = httpStatus
  }
  reply.hijack()
  // Header by header and then end() without writeHead: node:http2's compat response
  // then sends the head with END_STREAM (a writeHead first would add an empty DATA
  // frame, and gRPC clients read a status only from trailers or a trailers-only head).
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined && name !== 'content-length' && name !== 'content-type' && name !== 'connection') res.setHeader(name, value)
  }
  res.statusCode = 200
  res.setHeader('content-type', 'application/grpc')
  res.setHeader('grpc-status', String(grpcStatus))
  res.setHeader('grpc-message', grpcMessage(message))
  res.end()
}
