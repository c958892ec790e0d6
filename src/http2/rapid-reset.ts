// Rapid-reset protection (CVE-2023-44487): a client that opens streams and cancels
// them at once makes the server start work for each while its stream limit never
// fills. The nghttp2 inside Node (>= 1.57, Node >= 20.8.1) has a rate limit of its own
// on RST_STREAM, set higher; this one is lower and says why in our log: more than
// RAPID_RESETS streams reset by the client before an answer, within one window, and
// the session gets GOAWAY(ENHANCE_YOUR_CALM) and is closed.
import { constants, type Http2Session, type ServerHttp2Stream } from 'node:http2'
import type { Logger } from 'pino'
import { RAPID_RESET_WINDOW_MS, RAPID_RESETS } from './session-limits.js'

export class RapidResetGuard {
  private count = 0
  private windowStart = 0

  constructor (private readonly session: Http2Session, private readonly logger: Logger) {}

  /** Watches one stream of the session. */
  watch (stream: ServerHttp2Stream): void {
    stream.once('close', () => {
      // Reset before any answer went out: the client cancelled it.
      if (stream.rstCode === constants.NGHTTP2_NO_ERROR || stream.headersSent) return
      this.reset()
    })
  }

  private reset (): void {
    const now = Date.now()
    if (now - this.windowStart > RAPID_RESET_WINDOW_MS) {
      this.windowStart = now
      this.count = 0
    }
    if (++this.count <= RAPID_RESETS || this.session.destroyed) return
    const peer = this.session.socket?.remoteAddress
    this.logger.warn({ peer, resets: this.count, windowMs: RAPID_RESET_WINDOW_MS }, 'HTTP/2 rapid reset: session closed')
    this.session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM)
    this.session.destroy()
  }
}
