// `server.workers: auto`: the number of CPUs this process may use. In a container with
// a CPU limit (a Kubernetes pod with `limits.cpu: 2` on a 64-core node) that is the
// cgroup's CPU quota, not the node's core count, which os.availableParallelism()
// reports. cgroup v2 keeps the quota in `cpu.max` ("QUOTA PERIOD" or "max PERIOD"),
// v1 in `cpu.cfs_quota_us` / `cpu.cfs_period_us` (quota -1: none). A fractional
// quota rounds up: 1.5 CPUs is two workers, each of which the kernel throttles.
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** Where the cgroup files live; a test points this at fixture files. */
export interface CgroupPaths {
  /** The process's cgroup file (`/proc/self/cgroup`). */
  readonly procCgroup: string
  /** The cgroup filesystem's mount point (`/sys/fs/cgroup`). */
  readonly root: string
}

const SYSTEM: CgroupPaths = { procCgroup: '/proc/self/cgroup', root: '/sys/fs/cgroup' }

function read (file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    return null
  }
}

/** CPUs from a quota and period in microseconds; null for no quota. */
function fromQuota (quota: number, period: number): number | null {
  if (!Number.isFinite(quota) || !Number.isFinite(period) || quota <= 0 || period <= 0) return null
  return Math.max(1, Math.ceil(quota / period))
}

/** `cpu.max` of cgroup v2: "max 100000" (no quota) or "200000 100000". */
export function parseCpuMax (text: string): number | null {
  const [quota = '', period = ''] = text.trim().split(/\s+/)
  if (quota === 'max') return null
  return fromQuota(Number(quota), Number(period === '' ? 100000 : period))
}

/** The cgroup directories to look in, nearest first: the process's own, then its ancestors up to the root. */
function candidates (root: string, relative: string): string[] {
  const dirs: string[] = []
  let dir = relative
  for (;;) {
    dirs.push(path.join(root, dir))
    if (dir === '/' || dir === '' || dir === '.') break
    dir = path.dirname(dir)
  }
  return dirs
}

/** The tightest quota along the process's cgroup path (a parent's limit binds its children too). */
function tightest (dirs: string[], quotaOf: (dir: string) => number | null): number | null {
  let best: number | null = null
  for (const dir of dirs) {
    const cpus = quotaOf(dir)
    if (cpus !== null && (best === null || cpus < best)) best = cpus
  }
  return best
}

/** The CPU quota of this process's cgroup in whole CPUs, or null when there is none (or no cgroup). */
export function cgroupCpuLimit (paths: CgroupPaths = SYSTEM): number | null {
  const membership = read(paths.procCgroup)
  if (membership === null) return null
  for (const line of membership.split('\n')) {
    // "HIERARCHY-ID:CONTROLLERS:PATH"; v2 is "0::PATH".
    const parts = splitCgroupLine(line)
    if (parts === null) continue
    const [, controllers, relative] = parts
    if (controllers === '') {
      const v2 = tightest(candidates(paths.root, relative), (dir) => {
        const text = read(path.join(dir, 'cpu.max'))
        return text === null ? null : parseCpuMax(text)
      })
      if (v2 !== null) return v2
    } else if (controllers.split(',').includes('cpu')) {
      // v1 mounts the cpu controller at cpu/, cpu,cpuacct/ or cpuacct,cpu/.
      for (const mount of ['cpu', 'cpu,cpuacct', 'cpuacct,cpu']) {
        const v1 = tightest(candidates(path.join(paths.root, mount), relative), (dir) => {
          const quota = read(path.join(dir, 'cpu.cfs_quota_us'))
          const period = read(path.join(dir, 'cpu.cfs_period_us'))
          return quota === null || period === null ? null : fromQuota(Number(quota), Number(period))
        })
        if (v1 !== null) return v1
      }
    }
  }
  return null
}

/** "ID:CONTROLLERS:PATH" (the path may itself hold colons), or null for a line of another shape. */
function splitCgroupLine (line: string): [string, string, string] | null {
  const first = line.indexOf(':')
  const second = first === -1 ? -1 : line.indexOf(':', first + 1)
  if (second === -1) return null
  return [line.slice(0, first), line.slice(first + 1, second), line.slice(second + 1)]
}

/** What `workers: auto` means here: the cgroup quota, capped by the CPUs we can run on. */
export function availableCpus (paths: CgroupPaths = SYSTEM, parallelism: number = os.availableParallelism()): number {
  const limit = cgroupCpuLimit(paths)
  return limit === null ? parallelism : Math.min(limit, parallelism)
}

/** `server.workers` as a count. */
export function workerCount (setting: number | 'auto', cpus: () => number = availableCpus): number {
  return setting === 'auto' ? cpus() : setting
}
