// CPU time a process has used (user + system), from /proc. Divided by the requests it
// served in a round, it gives the gateway's own cost per request: on a shared VM it
// moves far less from run to run than requests per second do, which also count
// the time a noisy neighbour held the core.
import { readdirSync, readFileSync } from 'node:fs'

/** Clock ticks per second of /proc/PID/stat's times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100

/** CPU milliseconds used so far by `pid`, or undefined when /proc cannot tell. */
export function cpuMs (pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces: count fields after its closing ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const utime = Number(fields[11])
    const stime = Number(fields[12])
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * 1000 / TICKS_PER_SECOND : undefined
  } catch {
    return undefined
  }
}

/** The parent of `pid` from /proc, or undefined. */
function parentOf (pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return undefined
  }
}

/**
 * CPU milliseconds used so far by `pid` and every process below it: a gateway with
 * `server.workers` > 1 is its primary plus the workers it forked, and its cost per
 * request is all of theirs.
 */
export function treeCpuMs (pid: number | undefined): number | undefined {
  const own = cpuMs(pid)
  if (pid === undefined || own === undefined) return own
  const children = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const parent = parentOf(Number(name))
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), Number(name)])
  }
  let total = own
  const queue = [...(children.get(pid) ?? [])]
  while (queue.length > 0) {
    const child = queue.pop() as number
    total += cpuMs(child) ?? 0
    queue.push(...(children.get(child) ?? []))
  }
  return total
}
