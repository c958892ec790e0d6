// The live loop: poll, render, draw, until `q`. Polls never overlap: the next is set up
// when the last has finished, so a slow or unreachable gateway only slows the refresh.
import { pollStats, type Poll } from './admin-client.js'
import type { TopOptions } from './options.js'
import { renderTop, type TopView } from './render.js'
import { openScreen, type Screen } from './screen.js'
import { paint, plain, type Line } from './text.js'

/** How long one poll may take; generous, for a gateway across a slow network. */
export const POLL_TIMEOUT_MS = 5000

export interface LiveStreams {
  readonly stdin: NodeJS.ReadStream
  readonly stdout: NodeJS.WriteStream
  readonly env: NodeJS.ProcessEnv
}

export async function runLive (options: TopOptions, streams: LiveStreams): Promise<number> {
  const { stdout } = streams
  const colour = stdout.isTTY && (streams.env.NO_COLOR ?? '') === ''
  let view: TopView = { admin: options.admin, stats: null, fetchedAt: null, error: null, intervalMs: options.intervalMs, live: true }
  let timer: NodeJS.Timeout | undefined
  let polling = false
  let pollAgain = false
  let stopped = false
  let done: () => void = () => {}
  const finished = new Promise<void>((resolve) => { done = resolve })

  // Not a terminal (piped to a file or `less`): append one plain snapshot per poll,
  // like `top -b`, instead of cursor escapes nobody will interpret.
  const screen: Screen | null = stdout.isTTY
    ? openScreen(streams.stdin, stdout, {
      key (key) { if (key === 'quit') quit(); else refresh() },
      resize () { draw() }
    })
    : null
  if (screen === null) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { quit() })
  }

  function draw (): void {
    if (screen === null) {
      const lines = renderTop({ ...view, live: false }, { width: Number(streams.env.COLUMNS ?? '') || 120 })
      stdout.write(lines.map(plain).join('\n') + '\n\n')
      return
    }
    const lines = renderTop(view, { width: screen.width, height: screen.height })
    const text = (line: Line): string => paint(line, colour)
    screen.draw(lines.slice(0, -1).map(text), text(lines.at(-1) ?? []))
  }

  async function poll (): Promise<void> {
    polling = true
    let result: Poll
    try {
      result = await pollStats({ url: options.admin, token: options.token, timeoutMs: POLL_TIMEOUT_MS })
    } catch (err) {
      // pollStats reports failures as values; this is the belt to its braces.
      result = { ok: false, error: err instanceof Error ? err.message : String(err) }
    }
    polling = false
    if (stopped) return
    view = result.ok
      ? { ...view, stats: result.stats, fetchedAt: new Date(), error: null }
      : { ...view, error: result.error }
    draw()
    const wait = pollAgain ? 0 : options.intervalMs
    pollAgain = false
    timer = setTimeout(() => { void poll() }, wait)
  }

  function refresh (): void {
    if (polling) {
      pollAgain = true
      return
    }
    clearTimeout(timer)
    void poll()
  }

  function quit (): void {
    if (stopped) return
    stopped = true
    clearTimeout(timer)
    screen?.close()
    done()
  }

  // On a terminal, something at once; a batch log starts with the first answer.
  if (screen !== null) draw()
  void poll()
  await finished
  return 0
}
