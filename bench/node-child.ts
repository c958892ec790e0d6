// Starts one of our TypeScript helpers (backend, bare proxy) as a pinned child process
// and waits for its `listening <port>` line.
import { join } from 'node:path'
import { waitForOutput, type ProcessRegistry } from './procs.js'
import type { Running } from './targets/types.js'

const READY_TIMEOUT_MS = 20_000

export async function startNodeChild (
  procs: ProcessRegistry,
  opts: { name: string, root: string, script: string, args: string[], cpu: number, path?: string }
): Promise<Running & { port: number }> {
  const proc = procs.spawn(opts.name, process.execPath, ['--import', 'tsx', join(opts.root, opts.script), ...opts.args], {
    cpu: opts.cpu,
    cwd: opts.root
  })
  const match = await procs.untilReady(proc, () => waitForOutput(proc, /listening (\d+)/, READY_TIMEOUT_MS))
  const port = Number(match[1])
  return { port, url: `http://127.0.0.1:${port}${opts.path ?? ''}`, pid: proc.child.pid, stop: () => procs.stop(proc) }
}
