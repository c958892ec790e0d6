// The one IPC seam between the primary and its workers: request/response (with a
// timeout) and one-way casts, over the cluster's IPC channel. Both sides use the same
// Endpoint: the primary holds one per worker, a worker one for the primary. Messages
// are tagged so that other users of the channel (node:cluster itself, prom-client)
// pass by untouched.
//
// A user names its messages by `kind` ('rate-limit:check', 'reload:prepare', …) and
// registers a handler (requests) or a listener (casts) for it; so a later feature
// that needs the primary (a shared counter, say) adds kinds, not a new channel.

const TAG = 'turnpike:ipc'

interface Request { tag: typeof TAG, t: 'q', id: number, kind: string, body: unknown }
interface Response { tag: typeof TAG, t: 'r', id: number, ok: boolean, body: unknown }
interface Cast { tag: typeof TAG, t: 'c', kind: string, body: unknown }
type Message = Request | Response | Cast

/** What an Endpoint needs of a process or cluster worker. */
export interface Port {
  send (message: unknown): unknown
  on (event: 'message', listener: (message: unknown) => void): unknown
  off (event: 'message', listener: (message: unknown) => void): unknown
  isConnected (): boolean
}

/** A cluster worker's port to its primary: the process's own IPC channel. */
export const processPort: Port = {
  send: (message) => process.send?.(message),
  on: (event, listener) => process.on(event, listener),
  off: (event, listener) => process.off(event, listener),
  isConnected: () => process.connected
}

/** `from` is the endpoint the message came in on (on the primary: which worker's). */
export type Handler = (body: never, from: Endpoint) => unknown
export type Listener = (body: never, from: Endpoint) => void

export class IpcError extends Error {
  constructor (message: string, readonly kind: string) {
    super(message)
    this.name = 'IpcError'
  }
}

const isMessage = (m: unknown): m is Message => typeof m === 'object' && m !== null && (m as { tag?: unknown }).tag === TAG

export class Endpoint {
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void, timer: NodeJS.Timeout, kind: string }>()
  private readonly onMessage = (message: unknown): void => { this.receive(message) }
  private closed = false

  constructor (
    private readonly port: Port,
    private readonly handlers: ReadonlyMap<string, Handler>,
    private readonly listeners: ReadonlyMap<string, Listener>
  ) {
    port.on('message', this.onMessage)
  }

  /** Sends a request and resolves with the other side's answer (rejects on its error, a timeout or a closed channel). */
  async request<T> (kind: string, body: unknown, timeoutMs = 5000): Promise<T> {
    if (this.closed || !this.port.isConnected()) throw new IpcError(`cannot send ${kind}: the IPC channel is closed`, kind)
    const id = this.nextId++
    return await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new IpcError(`no answer to ${kind} within ${timeoutMs} ms`, kind))
      }, timeoutMs)
      timer.unref()
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer, kind })
      this.send({ tag: TAG, t: 'q', id, kind, body })
    })
  }

  /** A one-way message; dropped when the channel is closed. */
  cast (kind: string, body: unknown): void {
    if (this.closed || !this.port.isConnected()) return
    this.send({ tag: TAG, t: 'c', kind, body })
  }

  /** Fails every request still waiting (the other side went away) and stops listening. */
  close (): void {
    this.closed = true
    this.port.off('message', this.onMessage)
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer)
      p.reject(new IpcError(`the IPC channel closed before ${p.kind} was answered`, p.kind))
      this.pending.delete(id)
    }
  }

  private send (message: Message): void {
    try {
      this.port.send(message)
    } catch {
      // The channel closed under us: the request's timeout or close() settles it.
    }
  }

  private receive (message: unknown): void {
    if (!isMessage(message)) return
    if (message.t === 'r') {
      const p = this.pending.get(message.id)
      if (p === undefined) return
      this.pending.delete(message.id)
      clearTimeout(p.timer)
      if (message.ok) p.resolve(message.body)
      else p.reject(new IpcError(String(message.body), p.kind))
      return
    }
    if (message.t === 'c') {
      this.listeners.get(message.kind)?.(message.body as never, this)
      return
    }
    void this.answer(message)
  }

  private async answer (message: Request): Promise<void> {
    const handler = this.handlers.get(message.kind)
    let reply: Response
    if (handler === undefined) {
      reply = { tag: TAG, t: 'r', id: message.id, ok: false, body: `no handler for ${message.kind}` }
    } else {
      try {
        reply = { tag: TAG, t: 'r', id: message.id, ok: true, body: await handler(message.body as never, this) }
      } catch (err) {
        reply = { tag: TAG, t: 'r', id: message.id, ok: false, body: err instanceof Error ? err.message : String(err) }
      }
    }
    if (!this.closed && this.port.isConnected()) this.send(reply)
  }
}

/** Handlers and listeners by kind, shared by every Endpoint of one side. */
export class IpcRoutes {
  readonly handlers = new Map<string, Handler>()
  readonly listeners = new Map<string, Listener>()

  handle<B, R> (kind: string, handler: (body: B, from: Endpoint) => R | Promise<R>): this {
    this.handlers.set(kind, handler as Handler)
    return this
  }

  listen<B> (kind: string, listener: (body: B, from: Endpoint) => void): this {
    this.listeners.set(kind, listener as Listener)
    return this
  }

  endpoint (port: Port): Endpoint {
    return new Endpoint(port, this.handlers, this.listeners)
  }
}
