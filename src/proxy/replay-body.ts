// A gRPC call's request body on a route with `retry`. gRPC clients send no
// Content-Length, and a streaming call may wait for answers before it sends more, so
// the body cannot be read whole before the first attempt, as a small HTTP/1.1 body is.
// Instead it streams to the first attempt as it comes, and a copy is kept while the
// body stays within MAX_REPLAY_BODY: a call the upstream could not take (refused, reset,
// UNAVAILABLE before any answer) can then be sent again, but only if the client's
// stream had ended by the time that was known. Up to that size the client's stream is
// read as it arrives, whether or not the upstream takes it yet, so a unary call that
// has fully arrived is known to be complete; past it the copy is dropped and the body
// is read only as fast as the upstream takes it, like any streamed body.
import type { IncomingMessage } from 'node:http'
import { BodyLimitExceeded } from './body-faults.js'
import { MAX_REPLAY_BODY } from '../upstream/retry.js'

export class ReplayBody implements AsyncIterable<Buffer> {
  /** The body so far, while it is within MAX_REPLAY_BODY; null past it (or once not needed). */
  private copy: Buffer[] | null = []
  private size = 0
  /** Received, not yet taken by the attempt streaming it upstream. */
  private queue: Buffer[] = []
  private queued = 0
  private ended = false
  private failure: Error | null = null
  private paused = false
  /** The attempt stopped reading (it failed, or its answer was held): nothing more is queued. */
  private detached = false
  private iterated = false
  private wake: (() => void) | null = null

  constructor (private readonly req: IncomingMessage, private readonly limit: number) {
    req.on('data', this.onData)
    req.once('end', this.onEnd)
    req.once('error', this.onFailure)
    req.once('close', this.onClose)
  }

  /** The whole body arrived, within MAX_REPLAY_BODY: it can be sent again. */
  get complete (): boolean {
    return this.ended && this.copy !== null && this.failure === null
  }

  /** The whole body, for the next attempt (only when `complete`). */
  replay (): Buffer {
    const copy = this.copy ?? []
    return copy.length === 1 ? copy[0] as Buffer : Buffer.concat(copy, this.size)
  }

  /** No replay will be needed (the call was answered): stop keeping the copy. */
  forget (): void {
    this.copy = null
  }

  /** No attempt will read the body any more: let the client's stream drain into nothing. */
  abandon (): void {
    this.copy = null
    this.detach()
  }

  [Symbol.asyncIterator] (): AsyncIterator<Buffer> {
    if (this.iterated) throw new Error('a replay body streams to one attempt only')
    this.iterated = true
    return {
      next: async () => await this.next(),
      return: async () => {
        this.detach()
        return { done: true, value: undefined }
      }
    }
  }

  private async next (): Promise<IteratorResult<Buffer>> {
    for (;;) {
      const chunk = this.queue.shift()
      if (chunk !== undefined) {
        this.queued -= chunk.length
        if (this.paused && this.queued <= MAX_REPLAY_BODY) {
          this.paused = false
          this.req.resume()
        }
        return { done: false, value: chunk }
      }
      if (this.failure !== null) throw this.failure
      if (this.ended) return { done: true, value: undefined }
      await new Promise<void>((resolve) => { this.wake = resolve })
    }
  }

  private detach (): void {
    this.detached = true
    this.queue = []
    this.queued = 0
    if (this.paused) {
      this.paused = false
      this.req.resume()
    }
  }

  private signal (): void {
    const wake = this.wake
    this.wake = null
    wake?.()
  }

  private readonly onData = (chunk: Buffer): void => {
    this.size += chunk.length
    if (this.size > this.limit) {
      this.req.off('data', this.onData) // the rest of the body drains into nothing
      this.onFailure(new BodyLimitExceeded(`request body over ${this.limit} bytes`))
      return
    }
    if (this.copy !== null) {
      if (this.size <= MAX_REPLAY_BODY) this.copy.push(chunk)
      else this.copy = null
    }
    if (this.detached) return
    this.queue.push(chunk)
    this.queued += chunk.length
    // Within MAX_REPLAY_BODY the body is read as it comes; past it, as the upstream takes it.
    if (this.queued > MAX_REPLAY_BODY && !this.paused) {
      this.paused = true
      this.req.pause()
    }
    this.signal()
  }

  private readonly onEnd = (): void => {
    this.ended = true
    this.signal()
  }

  private readonly onFailure = (err: Error): void => {
    this.failure ??= err
    this.copy = null
    this.signal()
  }

  private readonly onClose = (): void => {
    if (!this.ended) this.onFailure(new Error('the client closed the request stream'))
  }
}
