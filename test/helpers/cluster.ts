// Helpers for the cluster tests: the primary's worker processes as /proc has them, and
// requests that each open a connection of their own (so the cluster spreads them).
import { readdirSync, readFileSync } from 'node:fs'
import { request } from 'undici'
import type { ChildGateway, LogLine } from './child.js'

/** The PIDs whose parent is `parent`, read from /proc/PID/stat. */
export function childPids (parent: number): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    let stat: string
    try { stat = readFileSync(`/proc/${name}/stat`, 'utf8') } catch { continue }
    // "PID (COMM) STATE PPID …": COMM may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    if (ppid === parent) pids.push(Number(name))
  }
  return pids.sort((a, b) => a - b)
}

/** One request on a connection of its own (`Connection: close`). */
export async function fresh (url: string, init: { method?: string, headers?: Record<string, string> } = {}): Promise<{ status: number, headers: Record<string, unknown>, body: string }> {
  const res = await request(url, { method: (init.method ?? 'GET') as 'GET', headers: { connection: 'close', ...init.headers }, reset: true })
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() }
}

/** The admin's JSON at `path`. */
export async function adminJson<T> (gw: ChildGateway, path: string): Promise<T> {
  const res = await request(gw.adminUrl + path)
  return await res.body.json() as T
}

/** Log lines (already seen) matching `test`. */
export function linesOf (gw: ChildGateway, test: (l: LogLine) => boolean): LogLine[] {
  return gw.logs.filter(test)
}

/** Resolves once `count` log lines in all match `test`. */
export async function waitForLines (gw: ChildGateway, test: (l: LogLine) => boolean, count: number): Promise<void> {
  if (linesOf(gw, test).length >= count) return
  // The waiter runs after the new line is in gw.logs.
  await gw.waitForLog((l) => test(l) && linesOf(gw, test).length >= count)
}
