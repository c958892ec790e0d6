// Every process the benchmark starts goes through here, so one call can end them all:
// at the end of a run, on Ctrl-C, and when something throws halfway.
import { spawn, type ChildProcess } from 'node:child_process'

export interface SpawnOptions {
  /** Pin to this CPU with taskset (when pinning is on). */
  cpu?: number
  /** Where stdout goes: captured (default) or an already-open fd such as /dev/null. */
  stdout?: 'pipe' | 'ignore' | number
  cwd?: string
  env?: NodeJS.ProcessEnv
}

export interface Proc {
  name: string
  child: ChildProcess
  /** Resolves when the process has exited, with a short description of how. */
  exited: Promise<string>
  alive(): boolean
  /** The last few KB of captured output, for error messages. */
  output(): string
}

const TAIL_BYTES = 8192
const STOP_GRACE_MS = 5000

export class ProcessRegistry {
  readonly #procs = new Set<Proc>()

  constructor (readonly pin: boolean) {}

  spawn (name: string, cmd: string, args: string[], opts: SpawnOptions = {}): Proc {
    const [file, argv] = this.pin && opts.cpu !== undefined
      ? ['taskset', ['-c', String(opts.cpu), cmd, ...args]]
      : [cmd, args]
    // Its own process group, so stop() also reaches grandchildren (nginx workers)
    // and a terminal Ctrl-C reaches only us: we decide the order of shutdown.
    const child = spawn(file, argv, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', opts.stdout ?? 'pipe', 'pipe'],
      detached: true
    })
    let tail = ''
    const keep = (chunk: Buffer): void => { tail = (tail + chunk.toString()).slice(-TAIL_BYTES) }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    const exited = new Promise<string>((resolve) => {
      child.once('error', (err) => resolve(`failed to start: ${err.message}`))
      child.once('exit', (code, signal) => resolve(signal !== null ? `killed by ${signal}` : `exited with ${code}`))
    })
    const proc: Proc = {
      name,
      child,
      exited,
      alive: () => child.exitCode === null && child.signalCode === null && child.pid !== undefined,
      output: () => tail.trim()
    }
    this.#procs.add(proc)
    void exited.then(() => this.#procs.delete(proc))
    return proc
  }

  /** SIGTERM the process group, then SIGKILL it if it has not gone after a grace period. */
  async stop (proc: Proc): Promise<void> {
    if (!proc.alive()) return
    signalGroup(proc, 'SIGTERM')
    const timer = setTimeout(() => signalGroup(proc, 'SIGKILL'), STOP_GRACE_MS)
    await proc.exited
    clearTimeout(timer)
    // The leader is gone; make sure nothing it started outlives it.
    signalGroup(proc, 'SIGKILL')
  }

  /** Runs a readiness check; if it fails, the half-started process must not idle through the rounds. */
  async untilReady<T> (proc: Proc, check: () => Promise<T>): Promise<T> {
    try {
      return await check()
    } catch (err) {
      await this.stop(proc)
      throw err
    }
  }

  async stopAll (): Promise<void> {
    await Promise.all([...this.#procs].map((p) => this.stop(p)))
  }

  /** Last resort from a synchronous 'exit' handler. */
  killAllNow (): void {
    for (const p of this.#procs) signalGroup(p, 'SIGKILL')
  }
}

function signalGroup (proc: Proc, signal: NodeJS.Signals): void {
  const pid = proc.child.pid
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // Already gone (ESRCH): nothing left to stop.
  }
}

/** Resolves with the first match of `pattern` in the process's output. */
export function waitForOutput (proc: Proc, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const m = pattern.exec(proc.output())
      if (m) { done(); resolve(m) }
    }
    const timer = setTimeout(() => { done(); reject(new Error(`${proc.name}: no ${pattern} after ${timeoutMs}ms\n${proc.output()}`)) }, timeoutMs)
    const onExit = (how: string): void => { done(); reject(new Error(`${proc.name} ${how} before it was ready\n${proc.output()}`)) }
    const done = (): void => {
      clearTimeout(timer)
      proc.child.stdout?.off('data', check)
      proc.child.stderr?.off('data', check)
    }
    proc.child.stdout?.on('data', check)
    proc.child.stderr?.on('data', check)
    void proc.exited.then(onExit)
    check()
  })
}
