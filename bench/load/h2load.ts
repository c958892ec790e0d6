// h2load (Debian's nghttp2-client) as the HTTP/2 load generator: h2c with prior
// knowledge for http:// URLs, or HTTP/1.1 with --h1, so both protocols of one route
// are measured by the same tool. h2load prints no percentiles; p50/p99 come from its
// per-request log (--log-file: start time, status, microseconds).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ProcessRegistry } from '../procs.js'

export interface H2loadRun {
  readonly rps: number
  readonly requests: number
  readonly failed: number
  readonly p50: number
  readonly p99: number
}

export interface H2loadOptions {
  readonly url: string
  readonly durationS: number
  readonly warmupS: number
  readonly clients: number
  /** Concurrent streams per client (-m). */
  readonly streams: number
  readonly h1?: boolean
  readonly headers?: readonly string[]
  /** A request body file (-d): the request is then a POST. */
  readonly dataFile?: string
}

export async function runH2load (procs: ProcessRegistry, exe: string, cpu: number, tmpDir: string, o: H2loadOptions): Promise<H2loadRun> {
  const log = join(tmpDir, `h2load-${Date.now()}.log`)
  const args = ['-D', String(o.durationS), ...(o.warmupS > 0 ? [`--warm-up-time=${o.warmupS}`] : []), '-c', String(o.clients), '-m', String(o.streams), '-t', '1', `--log-file=${log}`]
  if (o.h1 === true) args.push('--h1')
  for (const h of o.headers ?? []) args.push('-H', h)
  if (o.dataFile !== undefined) args.push('-d', o.dataFile)
  args.push(o.url)
  const proc = procs.spawn('h2load', exe, args, { cpu })
  // 'close', not 'exit': its report is read once stdout has been drained.
  const code = await new Promise<number | null>((resolve) => proc.child.once('close', (c) => { resolve(c) }))
  const out = proc.output()
  if (code !== 0) throw new Error(`h2load exited ${String(code)}: ${out}`)
  const rps = Number(/finished in [\d.]+s, ([\d.]+) req\/s/.exec(out)?.[1] ?? NaN)
  const counts = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out)
  const status = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out)
  const done = Number(counts?.[2] ?? 0)
  // Failed and errored requests, and answers other than 2xx.
  const failed = Number(counts?.[4] ?? 0) + Number(counts?.[5] ?? 0) + Number(status?.[3] ?? 0) + Number(status?.[4] ?? 0)
  const times = readFileSync(log, 'utf8').trim().split('\n').map((line) => Number(line.split('\t')[2])).filter(Number.isFinite).sort((a, b) => a - b)
  const pick = (q: number): number => (times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN) / 1000
  return { rps, requests: done, failed, p50: pick(0.5), p99: pick(0.99) }
}
