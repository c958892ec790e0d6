// `healthCheck.type: grpc`: one call of grpc.health.v1.Health/Check per check, on a
// session of its own (so a target that stops accepting connections fails), over TLS
// (h2 by ALPN) for an https:// origin and h2c for an http:// one. Healthy when the
// call ends with grpc-status 0 and the answer says SERVING. The two messages are tiny
// and fixed (a string field 1 in, an enum field 1 out), so they are encoded here by
// hand rather than through a protobuf runtime the gateway does not otherwise need.
import { connect, constants } from 'node:http2'
import type { ConnectionOptions } from 'node:tls'
import type { HealthCheckConfig } from './types.js'
import type { Probe } from './probe.js'

const SERVING = 1

/** HealthCheckRequest { string service = 1 } in a gRPC length-prefixed frame. */
function requestFrame (service: string): Buffer {
  const name = Buffer.from(service, 'utf8')
  const message = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), varint(name.length), name])
  const frame = Buffer.alloc(5 + message.length)
  frame.writeUInt32BE(message.length, 1)
  message.copy(frame, 5)
  return frame
}

function varint (n: number): Buffer {
  const bytes: number[] = []
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  bytes.push(n)
  return Buffer.from(bytes)
}

/** HealthCheckResponse.status (field 1, varint) from a gRPC frame; -1 when absent or malformed. */
function servingStatus (frame: Buffer): number {
  if (frame.length < 5 || frame[0] !== 0) return -1
  const message = frame.subarray(5, 5 + frame.readUInt32BE(1))
  // Field 1, wire type 0, a small enum value: the only thing Check answers with.
  if (message.length === 0) return 0 // UNKNOWN, the default, is left out on the wire
  return message[0] === 0x08 && message.length >= 2 ? (message[1] as number) : -1
}

export function grpcProbe (origin: string, config: HealthCheckConfig, tls: Readonly<ConnectionOptions> | undefined): Probe {
  const service = config.path.replace(/^\//, '')
  const frame = requestFrame(service)
  return {
    async run (signal) {
      return await new Promise<boolean>((resolve) => {
        const session = connect(origin, { ...tls })
        let body = Buffer.alloc(0)
        let status: string | undefined
        const done = (ok: boolean): void => {
          signal.removeEventListener('abort', aborted)
          session.destroy()
          resolve(ok)
        }
        const aborted = (): void => { done(false) }
        signal.addEventListener('abort', aborted)
        session.on('error', () => { done(false) })
        const call = session.request({
          [constants.HTTP2_HEADER_METHOD]: 'POST',
          [constants.HTTP2_HEADER_PATH]: '/grpc.health.v1.Health/Check',
          'content-type': 'application/grpc',
          te: 'trailers',
          'user-agent': 'turnpike-health-check'
        })
        call.on('error', () => { done(false) })
        call.on('response', (headers) => { status = headers['grpc-status'] as string | undefined })
        call.on('trailers', (trailers) => { status = trailers['grpc-status'] as string | undefined })
        call.on('data', (chunk: Buffer) => { body = Buffer.concat([body, chunk]) })
        call.on('end', () => { done(status === '0' && servingStatus(body) === SERVING) })
        call.end(frame)
      })
    },
    close () {}
  }
}
