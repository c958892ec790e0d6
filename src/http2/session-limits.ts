// The settings of the HTTP/2 server that guard the edge, derived from `server` once.
// nghttp2 (inside Node) enforces most of them itself; what it does not do in the
// shape we want (431 for large header lists, a rapid-reset cut-off lower than its own)
// is done by src/proxy/edge.ts and rapid-reset.ts.
import type { ServerOptions } from 'node:http2'
import type { ServerConfig } from '../config/schema.js'

/** Streams one client may have open at once on a session (nginx http2_max_concurrent_streams: 128). */
export const MAX_CONCURRENT_STREAMS = 128
/** Streams a client may reset before getting a response, per RAPID_RESET_WINDOW_MS, before its session is cut. */
export const RAPID_RESETS = 200
export const RAPID_RESET_WINDOW_MS = 1000

export function http2Options (server: ServerConfig): ServerOptions {
  return {
    // A larger list than maxHeaderSize still reaches the edge check (answered 431 in
    // JSON, logged, counted); only one past twice the limit is refused by nghttp2 itself.
    maxHeaderListPairs: server.maxHeaderCount * 2 + 8,
    settings: {
      maxConcurrentStreams: MAX_CONCURRENT_STREAMS,
      maxHeaderListSize: server.maxHeaderSize * 2 + 4096,
      enablePush: false
    },
    // Bounded memory per session (megabytes): past it new streams are refused.
    maxSessionMemory: 10,
    // SETTINGS entries per frame, and ping/settings floods (frames waiting for an ACK).
    maxSettings: 32,
    maxOutstandingPings: 10,
    // Invalid frames and refused streams a session may cause before it is closed.
    maxSessionInvalidFrames: 100,
    maxSessionRejectedStreams: 100,
    // A TLS socket that negotiated no h2 and no http/1.1 is dropped after this.
    unknownProtocolTimeout: 10_000
  }
}
