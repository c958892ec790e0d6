// One config generation at run time: its app plus the count of requests and tunnels
// still inside it. The current generation takes new requests; a retired one lives on
// until the last of its requests and WebSockets is done, then gives its targets back.
import { ServerResponse, type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { LoadedConfig } from './config/load.js'
import type { GenerationApp } from './app.js'

export class Generation {
  private inflight = 0
  private retired = false
  private disposed: Promise<void> | null = null
  private idleWaiters: Array<() => void> = []
  /** Requests still open on each socket, so one 'close' listener serves a pipelined batch. */
  private readonly openOn = new WeakMap<Socket, { requests: Set<() => void>, onClose: () => void }>()

  constructor (
    readonly id: number,
    readonly loaded: LoadedConfig,
    readonly built: GenerationApp,
    private readonly onDisposed: () => void = () => undefined,
    readonly loadedAt: Date = new Date()
  ) {}

  get config (): LoadedConfig['config'] {
    return this.loaded.config
  }

  get active (): number {
    return this.inflight
  }

  /**
   * Hands a request to this generation; `res` closing releases it, or its socket closing:
   * Node never closes the ServerResponse of a pipelined request queued behind one that
   * ended the connection.
   */
  handle (req: IncomingMessage, res: ServerResponse): void {
    this.retain()
    // An HTTP/2 stream has its own response, which always closes. An HTTP/1.1 response
    // that owns its socket already (no earlier response still being written on it) is
    // closed by Node when the socket closes: one listener, nothing allocated. Only a
    // pipelined response, queued behind another, needs the socket watched as well.
    if (req.httpVersionMajor === 2 || res.socket !== null) {
      res.once('close', this.release)
      this.built.handle(req, res)
      return
    }
    const socket = req.socket
    let open = this.openOn.get(socket)
    if (open === undefined) {
      const requests = new Set<() => void>()
      const onClose = (): void => { for (const release of requests) release() }
      open = { requests, onClose }
      this.openOn.set(socket, open)
      socket.once('close', onClose)
    }
    const { requests, onClose } = open
    const release = (): void => {
      if (!requests.delete(release)) return
      res.off('close', release)
      if (requests.size === 0) {
        socket.off('close', onClose)
        this.openOn.delete(socket)
      }
      this.release()
    }
    requests.add(release)
    res.once('close', release)
    this.built.handle(req, res)
  }

  /**
   * Hands an upgrade request to this generation, once no earlier response owns the
   * socket (server.ts waits for that). It goes through the same hooks as any request;
   * a refusal is written on the socket, which then closes. A tunnel detaches the
   * response and keeps the socket (and this generation) until either side closes.
   */
  handleUpgrade (req: IncomingMessage, socket: Socket): void {
    const res = new ServerResponse(req)
    res.shouldKeepAlive = false
    res.assignSocket(socket)
    res.once('finish', () => socket.end())
    this.retain()
    socket.once('close', this.release)
    this.built.handle(req, res)
  }

  retain (): void {
    this.inflight++
  }

  readonly release = (): void => {
    if (--this.inflight > 0) return
    for (const wake of this.idleWaiters.splice(0)) wake()
    if (this.retired) void this.dispose()
  }

  /** Resolves when nothing is in flight here. */
  async idle (): Promise<void> {
    if (this.inflight === 0) return
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve))
  }

  /** No new requests come here; dispose once the last one is done. */
  retire (): void {
    this.retired = true
    if (this.inflight === 0) void this.dispose()
  }

  async dispose (): Promise<void> {
    this.disposed ??= (async () => {
      this.built.upstreams.dispose()
      await this.built.app.close()
      this.onDisposed()
    })()
    await this.disposed
  }
}
