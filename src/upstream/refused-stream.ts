// An HTTP/2 stream the upstream provably never processed: it answered RST_STREAM with
// REFUSED_STREAM, or the stream's id was above the last one its GOAWAY said it would
// process, or the session was already going away when the stream was to be opened
// (RFC 9113 §8.7). Sending it again cannot do anything twice, whatever the method.
// Its code is UND_ERR_SOCKET, so everything that maps failures (the client's 502, a
// retry's `reset`) treats it as the reset it is; the type lets the forwarding path
// tell it apart (stale-connection.ts).

export class RefusedStream extends Error {
  readonly code = 'UND_ERR_SOCKET'

  constructor (reason: string, options?: ErrorOptions) {
    super(`the upstream refused the stream (${reason}): it was not processed`, options)
  }
}
