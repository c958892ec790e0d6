// Command-line flags of `npm run bench`. Every loop the run makes is bounded by them.
import { parseArgs } from 'node:util'

export interface BenchArgs {
  rounds: number
  durationS: number
  warmupS: number
  connections: number
  /** Target names to run, in list order; null = all. */
  only: string[] | null
  writeDocs: boolean
  loadgen: 'auto' | 'wrk' | 'autocannon'
  pin: boolean
  /** The backend every proxy forwards to: nginx when installed (auto), or node:http. */
  backend: 'auto' | 'nginx' | 'node'
  /** Instead of the targets: the rate-limited route on Redis, healthy, stalled and resumed (bench/redis-stall.ts). */
  redisStall: boolean
  help: boolean
}

export const USAGE = `usage: npm run bench -- [options]
  --rounds N          rounds of A B C D… (default 3)
  --duration S        seconds measured per target per round (default 10)
  --warmup S          seconds of discarded load before each measurement (default 2)
  --connections N     concurrent connections (default 50)
  --only a,b          targets to run (direct, turnpike, floor, bare, nginx, …)
  --loadgen NAME      wrk | autocannon (default: wrk when installed)
  --no-pin            do not pin processes to CPUs with taskset
  --backend NAME      nginx | node: what the proxies forward to (default: nginx when
                      installed; it costs the load generator's core far less)
  --write-docs        rewrite the table in docs/performance.md
  --redis-stall       instead: a rate-limited route on Redis, healthy, stalled (SIGSTOP)
                      and resumed, beside the in-process store (needs redis-server)
`

function int (flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${flag}: expected an integer from ${min} to ${max}, got "${raw}"`)
  return n
}

export function parseBenchArgs (argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      only: { type: 'string' },
      loadgen: { type: 'string' },
      backend: { type: 'string' },
      'no-pin': { type: 'boolean', default: false },
      'write-docs': { type: 'boolean', default: false },
      'redis-stall': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  const loadgen = values.loadgen ?? 'auto'
  if (loadgen !== 'auto' && loadgen !== 'wrk' && loadgen !== 'autocannon') throw new Error(`--loadgen: wrk or autocannon, got "${loadgen}"`)
  const backend = values.backend ?? 'auto'
  if (backend !== 'auto' && backend !== 'nginx' && backend !== 'node') throw new Error(`--backend: nginx or node, got "${backend}"`)
  return {
    backend,
    rounds: int('rounds', values.rounds, 3, 1, 50),
    durationS: int('duration', values.duration, 10, 1, 600),
    warmupS: int('warmup', values.warmup, 2, 0, 60),
    connections: int('connections', values.connections, 50, 1, 10_000),
    only: values.only === undefined ? null : values.only.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    writeDocs: values['write-docs'],
    loadgen,
    pin: !values['no-pin'],
    redisStall: values['redis-stall'],
    help: values.help
  }
}
