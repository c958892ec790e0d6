// A private redis-server for a test that must stop, stall or kill Redis under a running
// gateway (the shared one at REDIS_URL is never touched). Only this process is ever
// signalled or killed, by its PID.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { freePort } from './free-port.js'

export interface PrivateRedis {
  readonly port: number
  readonly url: string
  readonly pid: number
  /** SIGKILL, as a crash would; resolves once it has exited. */
  kill (): Promise<void>
  /** SIGSTOP: connections stay open and nothing is answered (a long command, a fork, a partition). */
  stall (): void
  /** SIGCONT after stall(). */
  resume (): void
}

/**
 * Starts redis-server on `port` (a free one by default), with `args` added to its
 * command line, and resolves once it accepts connections.
 */
export async function startPrivateRedis (port?: number, args: readonly string[] = []): Promise<PrivateRedis> {
  const chosen = port ?? await freePort()
  const proc = spawn('redis-server', ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args],
    // cwd in the temp dir: a replica's full sync writes dump.rdb there, not into the checkout
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: tmpdir() })
  const exited = once(proc, 'exit')
  await new Promise<void>((resolve, reject) => {
    let out = ''
    const onData = (chunk: Buffer): void => {
      out += chunk.toString()
      if (!out.includes('Ready to accept connections')) return
      proc.stdout.off('data', onData)
      proc.stdout.resume() // keep draining its log so it never blocks on a full pipe
      resolve()
    }
    proc.stdout.on('data', onData)
    void exited.then(() => { reject(new Error(`redis-server exited: ${out}`)) })
  })
  const running = (): boolean => proc.exitCode === null && proc.signalCode === null
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    pid: proc.pid as number,
    async kill () {
      if (!running()) return
      proc.kill('SIGKILL')
      await exited
    },
    stall () {
      if (running()) proc.kill('SIGSTOP')
    },
    resume () {
      if (running()) proc.kill('SIGCONT')
    }
  }
}
