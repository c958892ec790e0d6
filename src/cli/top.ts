// `turnpike top`: a live terminal dashboard of a running gateway, read from its admin
// GET /stats, local or remote. `--once` prints one plain snapshot, for scripts.
import { processIo, type CommandIo } from './command-io.js'
import { pollStats } from './top/admin-client.js'
import { POLL_TIMEOUT_MS, runLive } from './top/live.js'
import { parseTopArgs, USAGE, type TopOptions } from './top/options.js'
import { renderTop } from './top/render.js'
import { plain } from './top/text.js'

/** `argv`: the arguments after `top`. */
export async function run (argv: string[], io: CommandIo = processIo()): Promise<number> {
  const parsed = parseTopArgs(argv, io.env)
  if (parsed.kind === 'help') {
    io.stdout.write(USAGE)
    return 0
  }
  if (parsed.kind === 'misuse') {
    io.stderr.write(`top: ${parsed.message}\n\n${USAGE}`)
    return 2
  }
  if (parsed.options.once) return await once(parsed.options, io)
  return await runLive(parsed.options, { stdin: process.stdin, stdout: process.stdout, env: io.env })
}

async function once (options: TopOptions, io: CommandIo): Promise<number> {
  const poll = await pollStats({ url: options.admin, token: options.token, timeoutMs: POLL_TIMEOUT_MS })
  if (!poll.ok) {
    io.stderr.write(`top: ${options.admin}: ${poll.error}\n`)
    return 1
  }
  const width = (process.stdout.isTTY ? process.stdout.columns : undefined) ?? (Number(io.env.COLUMNS ?? '') || 120)
  const view = { admin: options.admin, stats: poll.stats, fetchedAt: new Date(), error: null, intervalMs: options.intervalMs, live: false }
  io.stdout.write(renderTop(view, { width }).map(plain).join('\n') + '\n')
  return 0
}
