// A pino logger whose JSON lines a test can read and wait for (in-process gateways).
import { EventEmitter } from 'node:events'
import { Writable } from 'node:stream'
import pino, { type Logger } from 'pino'

export interface CapturedLine { level: number, msg: string, [key: string]: unknown }

export class LogCapture {
  readonly lines: CapturedLine[] = []
  private readonly events = new EventEmitter()
  readonly logger: Logger

  constructor (level = 'info') {
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        for (const text of chunk.toString().split('\n')) {
          if (text === '') continue
          const line = JSON.parse(text) as CapturedLine
          this.lines.push(line)
          this.events.emit('line', line)
        }
        done()
      }
    })
    this.logger = pino({ level }, sink)
  }

  /** The first line (already written or still to come) that `match` accepts. */
  async waitFor (match: (line: CapturedLine) => boolean): Promise<CapturedLine> {
    const found = this.lines.find(match)
    if (found !== undefined) return found
    return await new Promise((resolve) => {
      const listener = (line: CapturedLine): void => {
        if (!match(line)) return
        this.events.off('line', listener)
        resolve(line)
      }
      this.events.on('line', listener)
    })
  }
}
