// What the numbers were measured on, recorded with them: a result without its machine
// cannot be compared with anything.
import { spawnSync } from 'node:child_process'
import { cpus, loadavg, release } from 'node:os'
import { findExecutable } from './tools.js'

function versionOf (cmd: string | null, args: string[], pattern: RegExp): string | undefined {
  if (cmd === null) return undefined
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  return pattern.exec(`${r.stdout}${r.stderr}`)?.[0]
}

export function describeMachine (): Record<string, string | number> {
  const info: Record<string, string | number> = {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cpus: cpus().length,
    kernel: release(),
    node: process.versions.node,
    // Other work on the machine is the biggest source of noise; record how busy it was.
    loadavgAtStart: loadavg()[0]?.toFixed(2) ?? 'unknown'
  }
  const nginx = versionOf(findExecutable('nginx'), ['-v'], /nginx\/[\d.]+/)
  const wrk = versionOf(findExecutable('wrk'), ['-v'], /wrk \S+/)
  if (nginx !== undefined) info.nginx = nginx
  if (wrk !== undefined) info.wrk = wrk
  return info
}

/**
 * Pins this process (all its threads, -a) to `cpu`, so the orchestrator never runs on
 * the core of the proxy under test. Returns false when taskset refuses.
 */
export function pinSelf (cpu: number): boolean {
  return spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' }).status === 0
}
