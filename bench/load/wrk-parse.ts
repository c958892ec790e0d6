// Reads the numbers out of `wrk --latency` text output.
import type { LoadResult } from './types.js'

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

function toMs (value: string, unit: string): number {
  const factor = UNIT_MS[unit]
  if (factor === undefined) throw new Error(`wrk: unknown latency unit "${unit}"`)
  return Number(value) * factor
}

function percentile (out: string, pct: string): number {
  const m = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out)
  if (m?.[1] === undefined || m[2] === undefined) throw new Error(`wrk: no ${pct}% line in output:\n${out}`)
  return toMs(m[1], m[2])
}

export function parseWrk (out: string): LoadResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out)
  const total = /^\s*(\d+) requests in/m.exec(out)
  if (rps?.[1] === undefined || total?.[1] === undefined) throw new Error(`wrk: unexpected output:\n${out}`)
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const socketErrors = socket === null ? 0 : socket.slice(1).reduce((sum, n) => sum + Number(n), 0)
  return {
    rps: Number(rps[1]),
    p50: percentile(out, '50'),
    p99: percentile(out, '99'),
    requests: Number(total[1]),
    errors: Number(non2xx?.[1] ?? 0) + socketErrors
  }
}
