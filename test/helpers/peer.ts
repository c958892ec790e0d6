// One client connection from a chosen loopback source address (127.0.0.x: Linux routes
// all of 127/8 to lo), for the connection-limit tests: it sends keep-alive GETs and
// reads each whole response (by Content-Length), and tells when the gateway hung up.
import net from 'node:net'
import tls from 'node:tls'
import { parseResponse, type RawResponse } from './raw.js'

export class Peer {
  private received = Buffer.alloc(0)
  private waiters: Array<() => void> = []
  /** Resolves once the connection is closed (by either side). */
  readonly closed: Promise<void>

  private constructor (private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk])
      this.wake()
    })
    socket.on('error', () => undefined) // a reset after the answer still counts as closed
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.wake()
        resolve()
      })
    })
  }

  /** Connects from `from` (a 127.0.0.x address); `tls` for an HTTPS listener (self-signed). */
  static async open (port: number, from: string, options: { tls?: boolean } = {}): Promise<Peer> {
    const tcp = net.connect({ host: '127.0.0.1', port, localAddress: from })
    const socket = options.tls === true ? tls.connect({ socket: tcp, rejectUnauthorized: false }) : tcp
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls === true ? 'secureConnect' : 'connect', resolve)
      socket.once('error', reject)
    })
    return new Peer(socket)
  }

  get isClosed (): boolean { return this.socket.destroyed }

  /** Sends one GET and resolves with its complete response (or what came before the close). */
  async get (path = '/'): Promise<RawResponse> {
    this.received = Buffer.alloc(0)
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: gateway.test\r\n\r\n`)
    for (;;) {
      const text = this.received.toString('latin1')
      const end = text.indexOf('\r\n\r\n')
      if (end !== -1) {
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0)
        if (this.received.length >= end + 4 + length) return parseResponse(text)
      }
      if (this.socket.destroyed) return parseResponse(text)
      await new Promise<void>((resolve) => this.waiters.push(resolve))
    }
  }

  /** Closes our side and waits until the connection is gone. */
  async close (): Promise<void> {
    this.socket.end()
    await this.closed
  }

  private wake (): void {
    for (const wake of this.waiters.splice(0)) wake()
  }
}

/** Polls `check` every millisecond for at most `ms` (the server sees a close asynchronously). */
export async function eventually (check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) throw new Error(`not reached in ${ms} ms: ${what}`)
    await new Promise<void>((resolve) => setTimeout(resolve, 1))
  }
}
