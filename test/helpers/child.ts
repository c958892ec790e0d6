// The gateway as a real child process (`node dist/src/cli/main.js start -c FILE`), for
// signals, the watcher and exit codes. Ports are 0 in the YAML; the child's
// "turnpike started" log line says which it got.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js')

export interface LogLine { level: number, msg: string, [key: string]: unknown }

export interface ChildGateway {
  readonly proc: ChildProcess
  readonly url: string
  readonly adminUrl: string
  readonly file: string
  readonly logs: LogLine[]
  /** Resolves with the first log line that satisfies `test` (already seen or to come). */
  waitForLog (test: (line: LogLine) => boolean): Promise<LogLine>
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>
  close (): Promise<void>
}

export async function startChildGateway (yaml: string): Promise<ChildGateway> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-child-'))
  const file = path.join(dir, 'gateway.yaml')
  await writeFile(file, yaml)
  const proc = spawn(process.execPath, [CLI, 'start', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] })
  const logs: LogLine[] = []
  const waiters: Array<{ test: (l: LogLine) => boolean, resolve: (l: LogLine) => void }> = []
  let stderr = ''
  proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    let line: LogLine
    try { line = JSON.parse(text) as LogLine } catch { return }
    logs.push(line)
    for (const w of waiters.splice(0)) {
      if (w.test(line)) w.resolve(line)
      else waiters.push(w)
    }
  })
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => { resolve(code) }))
  const waitForLog = async (test: (l: LogLine) => boolean): Promise<LogLine> => {
    const seen = logs.find(test)
    if (seen !== undefined) return seen
    return await new Promise((resolve, reject) => {
      waiters.push({ test, resolve })
      void exited.then((code) => { reject(new Error(`gateway exited (${code}) first: ${stderr}`)) })
    })
  }
  const started = await waitForLog((l) => l.msg === 'turnpike started')
  const listen = started.listen as { port: number }
  const admin = started.admin as { port: number }
  return {
    proc,
    url: `http://127.0.0.1:${listen.port}`,
    adminUrl: `http://127.0.0.1:${admin.port}`,
    file,
    logs,
    waitForLog,
    exited,
    async close () {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
      await exited
      await rm(dir, { recursive: true, force: true })
    }
  }
}
