// The terminal side of the live view: the alternate screen, raw keys, resize, and
// putting the terminal back exactly as it was however the process ends.
// Plain ANSI escapes; see text.ts for why no TUI package.
import type { ReadStream, WriteStream } from 'node:tty'

const ENTER = '\x1b[?1049h\x1b[?25l' // alternate screen buffer, cursor hidden
const LEAVE = '\x1b[?25h\x1b[?1049l' // cursor shown, main screen back
const CTRL_C = '\x03'

export type Key = 'quit' | 'refresh'

export interface Screen {
  readonly width: number
  readonly height: number
  /** Replaces the screen: `body` from the top row, `status` on the bottom row. */
  draw (body: readonly string[], status: string): void
  close (): void
}

export interface ScreenEvents {
  key (key: Key): void
  resize (): void
}

export function openScreen (stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream, on: ScreenEvents): Screen {
  const tty = stdin.isTTY ? stdin as ReadStream : null
  const out = stdout as WriteStream
  const onData = (data: Buffer | string): void => {
    for (const ch of data.toString()) {
      if (ch === 'q' || ch === 'Q' || ch === CTRL_C) on.key('quit')
      else if (ch === 'r' || ch === 'R') on.key('refresh')
    }
  }
  const onResize = (): void => { on.resize() }
  // Raw mode turns Ctrl-C into a byte; these cover `kill`, a closed terminal, and Ctrl-C
  // when stdin is not a terminal.
  const onSignal = (): void => { on.key('quit') }
  // Last resort for an exit we did not plan (an uncaught error): never leave the user's
  // terminal on the alternate screen with no cursor and no echo.
  const onExit = (): void => { restore() }

  let closed = false
  const restore = (): void => {
    if (closed) return
    closed = true
    stdin.off('data', onData)
    out.off('resize', onResize)
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal)
    process.off('exit', onExit)
    if (tty !== null) tty.setRawMode(false)
    stdin.pause()
    out.write(LEAVE)
  }

  out.write(ENTER)
  if (tty !== null) {
    tty.setRawMode(true)
    stdin.on('data', onData)
    stdin.resume()
  }
  out.on('resize', onResize)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal)
  process.on('exit', onExit)

  return {
    get width () { return out.columns ?? 80 },
    get height () { return out.rows ?? 24 },
    draw (body, status) {
      const rows = out.rows ?? 24
      // Each row is cleared then written, in one write: no flicker, and no erase after a
      // full-width row (which would wipe its last column on many terminals).
      let frame = ''
      body.slice(0, rows - 1).forEach((line, i) => { frame += `\x1b[${i + 1};1H\x1b[2K${line}` })
      frame += `\x1b[${Math.min(body.length, rows - 1) + 1};1H\x1b[J\x1b[${rows};1H${status}`
      out.write(frame)
    },
    close: restore
  }
}
