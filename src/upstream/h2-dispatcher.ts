// The connection pool of an HTTP/2 target (`protocol: h2 | h2c`), on node:http2.
// Why not undici (which speaks h2 by ALPN and h2c by prior knowledge): its HTTP/2
// client sends a POST, or any request with a streamed body, only when no other request
// is in flight on that connection (client-h2.js `busy`), so every gRPC call, which is
// always a POST with a streamed body, took a connection of its own: no multiplexing,
// and a long streaming call held a connection for its whole life. Its handler adapter
// also dropped HTTP/2 trailers (they are grpc-status). This pool keeps undici's
// Dispatcher shape, so the forwarding path and its relay are the same for every
// protocol: dispatch(options, handler) with the dispatch-handler callbacks.
//
// Streams are multiplexed on a session until it holds the peer's
// SETTINGS_MAX_CONCURRENT_STREAMS, then another session opens, up to
// `pool.connections`; past that, nghttp2 queues streams on the least busy session.
// A session idle for `pool.keepAlive` closes (GOAWAY); one the peer closes is dropped.
//
// A stream that ends before its answer is complete fails with UND_ERR_SOCKET, as a
// reset HTTP/1.1 connection does: a reset (RST_STREAM, whatever its code), a session
// destroyed or a socket closed under it. Node ends such a stream's readable side as if
// it were complete (it pushes EOF on close), so 'end' alone is not trusted: an answer is
// complete only with END_STREAM, whose EOF Node pushes while the stream is still open
// (see watchEndStream). RST_STREAM(NO_ERROR) after END_STREAM only stops the upload
// (RFC 9113 §8.1): the answer stands. A stream the upstream never processed fails with
// RefusedStream (refused-stream.ts).
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2'
import type { ConnectionOptions } from 'node:tls'
import { Dispatcher } from 'undici'
import { RefusedStream } from './refused-stream.js'

type Handler = Dispatcher.DispatchHandler
type Headers = Record<string, string | string[] | undefined>

export interface Http2PoolOptions {
  readonly connections: number
  readonly keepAlive: number
  readonly connect: Readonly<ConnectionOptions & { timeout: number }>
}

/** An error with the code upstream-errors.ts maps (504 for the timeouts, 502 otherwise). */
function codedError (message: string, code: string): Error {
  return Object.assign(new Error(message), { code })
}

/** request() throws these when the session is going away or gone: the stream never left. */
const NOT_SENT: ReadonlySet<string> = new Set(['ERR_HTTP2_GOAWAY_SESSION', 'ERR_HTTP2_INVALID_SESSION', 'ERR_HTTP2_OUT_OF_STREAMS'])
/** Node's errors for a stream reset or a session that ended under it; others (a connect failure's cause…) pass as they are. */
const RESET_ERRORS: ReadonlySet<string> = new Set(['ERR_HTTP2_STREAM_ERROR', 'ERR_HTTP2_SESSION_ERROR'])

/** Why `stream` ended before its answer was complete: RefusedStream when the upstream never processed it. */
function streamFailure (stream: ClientHttp2Stream, cause?: Error): Error {
  const code = stream.rstCode ?? constants.NGHTTP2_NO_ERROR
  // nghttp2 closes a stream above a GOAWAY's last stream id with REFUSED_STREAM too.
  if (code === constants.NGHTTP2_REFUSED_STREAM) return new RefusedStream('REFUSED_STREAM', { cause })
  const err = codedError(`stream closed before the answer was complete (code ${code})`, 'UND_ERR_SOCKET')
  if (cause !== undefined) err.cause = cause
  return err
}

/**
 * Calls `onEndStream` when `stream`'s answer ends with END_STREAM. Node emits no event
 * of its own for it: it pushes EOF when END_STREAM arrives (on DATA or on HEADERS), and
 * also when the stream closes without one (a reset, with NO_ERROR too, then emits 'end'
 * with rstCode 0). The stream is still open at the first, closed at the second; by 'end'
 * it may be closed in both cases (a paused stream's EOF waits behind its data), so the
 * push itself is where they differ.
 */
function watchEndStream (stream: ClientHttp2Stream, onEndStream: () => void): void {
  const push = stream.push
  stream.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (chunk === null && !stream.closed) onEndStream()
    return push.call(stream, chunk, encoding)
  }
}

/** Resolves when `stream` takes writes again, or is gone; the listener of the other event goes too, so they do not pile up over a long upload. */
async function writable (stream: ClientHttp2Stream): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = (): void => {
      stream.off('drain', done).off('close', done)
      resolve()
    }
    stream.on('drain', done).on('close', done)
  })
}

function plainHeaders (headers: IncomingHttpHeaders): Headers {
  const out: Headers = {}
  for (const name in headers) {
    if (name.charCodeAt(0) === 58) continue
    out[name] = headers[name] as string | string[] | undefined
  }
  return out
}

/** One request's stream, seen by the handler as undici's DispatchController. */
class StreamControl {
  aborted = false
  paused = false
  reason: Error | null = null
  stream: ClientHttp2Stream | null = null

  constructor (private readonly fail: (err: Error) => void) {}

  abort (reason: Error): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    this.stream?.close(constants.NGHTTP2_CANCEL)
    this.fail(reason)
  }

  pause (): void {
    this.paused = true
    this.stream?.pause()
  }

  resume (): void {
    this.paused = false
    this.stream?.resume()
  }
}

interface Session { readonly session: ClientHttp2Session, streams: number, ready: boolean }

export class Http2Dispatcher extends Dispatcher {
  private readonly sessions: Session[] = []
  private closed = false
  private readonly scheme: string

  constructor (private readonly origin: string, private readonly options: Http2PoolOptions) {
    super()
    this.scheme = new URL(origin).protocol === 'https:' ? 'https' : 'http'
  }

  override dispatch (options: Dispatcher.DispatchOptions, handler: Handler): boolean {
    let settled = false
    let timer: NodeJS.Timeout | undefined
    const fail = (err: Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      handler.onResponseError?.(control as unknown as Dispatcher.DispatchController, err)
    }
    const control = new StreamControl(fail)
    handler.onRequestStart?.(control as unknown as Dispatcher.DispatchController, {})
    if (control.aborted) return true
    if (this.closed) {
      fail(codedError('the target pool is closed', 'UND_ERR_CLOSED'))
      return true
    }
    const entry = this.pick()
    const headers: OutgoingHttpHeaders = {
      [constants.HTTP2_HEADER_METHOD]: options.method,
      [constants.HTTP2_HEADER_PATH]: options.path,
      [constants.HTTP2_HEADER_SCHEME]: this.scheme
    }
    const given = (options.headers ?? {}) as Record<string, string | string[]>
    for (const name in given) {
      if (name === 'host') headers[constants.HTTP2_HEADER_AUTHORITY] = given[name]
      else headers[name] = given[name]
    }
    const body = options.body as Buffer | string | AsyncIterable<Buffer> | null | undefined
    const empty = body === null || body === undefined
    let stream: ClientHttp2Stream
    try {
      stream = entry.session.request(headers, { endStream: empty })
    } catch (err) {
      const code = (err as { code?: string }).code
      fail(code !== undefined && NOT_SENT.has(code) ? new RefusedStream(code, { cause: err }) : err as Error)
      return true
    }
    control.stream = stream
    entry.streams++
    const timeout = options.headersTimeout ?? 0
    if (timeout > 0) timer = setTimeout(() => { control.abort(codedError(`no answer within ${timeout} ms`, 'UND_ERR_HEADERS_TIMEOUT')) }, timeout)
    // undici's bodyTimeout: the longest wait for the next piece of the body (0: none).
    const bodyTimeout = options.bodyTimeout ?? 0
    let trailers: Headers = {}
    let answered = false
    let endStream = false
    watchEndStream(stream, () => { endStream = true })
    stream.on('response', (head) => {
      clearTimeout(timer)
      if (settled) return
      answered = true
      if (bodyTimeout > 0) timer = setTimeout(() => { control.abort(codedError(`no body data within ${bodyTimeout} ms`, 'UND_ERR_BODY_TIMEOUT')) }, bodyTimeout)
      handler.onResponseStart?.(control as unknown as Dispatcher.DispatchController, Number(head[constants.HTTP2_HEADER_STATUS]), plainHeaders(head), '')
    })
    stream.on('data', (chunk: Buffer) => {
      if (settled) return
      if (bodyTimeout > 0) timer?.refresh()
      handler.onResponseData?.(control as unknown as Dispatcher.DispatchController, chunk)
    })
    stream.on('trailers', (t) => { trailers = plainHeaders(t) })
    stream.on('end', () => {
      if (settled) return
      // No head, no END_STREAM, or a reset code: the EOF Node pushes when the stream closed under us.
      if (!answered || !endStream || (stream.rstCode ?? constants.NGHTTP2_NO_ERROR) !== constants.NGHTTP2_NO_ERROR) {
        fail(streamFailure(stream))
        return
      }
      settled = true
      clearTimeout(timer)
      handler.onResponseEnd?.(control as unknown as Dispatcher.DispatchController, trailers)
    })
    stream.on('error', (err: Error & { code?: string }) => {
      fail(err.code !== undefined && RESET_ERRORS.has(err.code) ? streamFailure(stream, err) : err)
    })
    stream.on('close', () => {
      entry.streams--
      fail(streamFailure(stream))
    })
    if (!empty) void this.writeBody(stream, body, control)
    return true
  }

  private async writeBody (stream: ClientHttp2Stream, body: Buffer | string | AsyncIterable<Buffer>, control: StreamControl): Promise<void> {
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      stream.end(body)
      return
    }
    try {
      for await (const chunk of body) {
        // The stream is gone: the upstream had answered in full and stopped the upload
        // (RST_STREAM(NO_ERROR) after END_STREAM), or it failed. The rest is read and
        // dropped, so the client may finish sending and its connection stays usable;
        // leaving the loop would destroy the client's request, and with it an HTTP/1.1
        // connection that would then never read the rest of the body.
        if (stream.destroyed) continue
        if (!stream.write(chunk)) await writable(stream)
      }
      if (!stream.destroyed) stream.end()
    } catch (err) {
      control.abort(err as Error) // the client's body failed (over the limit, or it left)
    }
  }

  /** A session with room for one more stream, a new one while the pool may grow, else the least busy. */
  private pick (): Session {
    let least: Session | undefined
    for (const entry of this.sessions) {
      const max = entry.session.remoteSettings.maxConcurrentStreams ?? 100
      if (entry.streams < max) return entry
      if (least === undefined || entry.streams < least.streams) least = entry
    }
    if (least !== undefined && this.sessions.length >= this.options.connections) return least
    return this.open()
  }

  private open (): Session {
    const { timeout, ...tls } = this.options.connect
    const session = connect(this.origin, { ...tls })
    const entry: Session = { session, streams: 0, ready: false }
    this.sessions.push(entry)
    const drop = (): void => {
      const i = this.sessions.indexOf(entry)
      if (i !== -1) this.sessions.splice(i, 1)
    }
    const connectTimer = timeout > 0
      ? setTimeout(() => { session.destroy(codedError(`connect timeout (${timeout} ms)`, 'UND_ERR_CONNECT_TIMEOUT')) }, timeout)
      : undefined
    session.once('connect', () => {
      clearTimeout(connectTimer)
      entry.ready = true
    })
    // Errors reach each stream too (the request that failed says why); here they only end the session.
    session.on('error', drop)
    session.once('goaway', drop)
    session.once('close', () => {
      clearTimeout(connectTimer)
      drop()
    })
    if (this.options.keepAlive > 0) session.setTimeout(this.options.keepAlive, () => { session.close() })
    return entry
  }

  override async close (): Promise<void> {
    this.closed = true
    await Promise.all(this.sessions.splice(0).map(async ({ session }) => {
      if (session.closed) return
      await new Promise<void>((resolve) => { session.close(resolve) })
    }))
  }

  override async destroy (): Promise<void> {
    this.closed = true
    for (const { session } of this.sessions.splice(0)) session.destroy()
  }
}
