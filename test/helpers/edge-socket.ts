// A raw TCP conversation with the gateway, for the edge tests: write bytes, wait until
// the gateway has said something, write more, and learn how and when it hung up.
import net from 'node:net'
import { BASE } from './gateway.js'
import { parseResponse, type RawResponse } from './raw.js'

/** The test BASE config with extra `server:` settings (`bodyLimit: 1kb, …`). */
export function edgeYaml (server: string, rest: string): string {
  const [, ...others] = BASE.split('\n')
  return `server: { host: 127.0.0.1, port: 0${server === '' ? '' : ', ' + server} }\n${others.join('\n')}${rest}`
}

export class Conversation {
  private readonly socket: net.Socket
  private received = ''
  private waiters: Array<() => void> = []
  /** Everything the gateway sent, once it has closed the connection. */
  readonly closed: Promise<RawResponse>

  private constructor (socket: net.Socket) {
    this.socket = socket
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.toString('latin1')
      for (const wake of this.waiters.splice(0)) wake()
    })
    this.closed = new Promise((resolve) => {
      // A reset after the gateway's answer still counts as "closed".
      socket.on('error', () => undefined)
      socket.on('close', () => {
        for (const wake of this.waiters.splice(0)) wake()
        resolve(parseResponse(this.received))
      })
    })
  }

  static async open (port: number): Promise<Conversation> {
    const socket = net.connect(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new Conversation(socket)
  }

  get text (): string { return this.received }
  get isClosed (): boolean { return this.socket.destroyed }

  async write (data: string | Buffer): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.socket.write(data, (err) => { if (err === null || err === undefined) resolve(); else reject(err) })
    })
  }

  /** Resolves with all received text once it contains `marker`; rejects if the connection closes first. */
  async until (marker: string): Promise<string> {
    while (!this.received.includes(marker)) {
      if (this.socket.destroyed) throw new Error(`connection closed before ${JSON.stringify(marker)}; got ${JSON.stringify(this.received)}`)
      await new Promise<void>((resolve) => this.waiters.push(resolve))
    }
    return this.received
  }

  destroy (): void { this.socket.destroy() }
}
