// Command-line flags of `npm run bench`. Every loop the run makes is bounded by them.
import { parseArgs } from 'node:util'

export interface BenchArgs {
  rounds: number
  durationS: number
  warmupS: number
  connections: number
  /**
   * Offered load in requests/s over all connections, or null for as fast as the proxy
   * answers. With a rate below saturation, CPU per request compares processes that are
   * not fighting the load generator for a core (the workers case on a 2-core machine).
   */
  rate: number | null
  /** Target names to run, in list order; null = all. */
  only: string[] | null
  writeDocs: boolean
  loadgen: 'auto' | 'wrk' | 'autocannon'
  pin: boolean
  /** The backend every proxy forwards to: nginx when installed (auto), or node:http. */
  backend: 'auto' | 'nginx' | 'node'
  /** Instead of the targets: the rate-limited route on Redis, healthy, stalled and resumed (bench/redis-stall.ts). */
  redisStall: boolean
  /** Instead of the targets: HTTP/2 and gRPC with h2load (bench/http2.ts). */
  http2: boolean
  help: boolean
}

export const USAGE = `usage: npm run bench -- [options]
  --rounds N          rounds of A B C D… (default 3)
  --duration S        seconds measured per target per round (default 10)
  --warmup S          seconds of discarded load before each measurement (default 2)
  --connections N     concurrent connections (default 50)
  --rate N            offer N requests/s over all connections instead of as many as the
                      proxy answers (wrk: a per-connection delay; autocannon: overallRate)
  --only a,b          targets to run (direct, turnpike, floor, bare, nginx, …)
  --loadgen NAME      wrk | autocannon (default: wrk when installed)
  --no-pin            do not pin processes to CPUs with taskset
  --backend NAME      nginx | node: what the proxies forward to (default: nginx when
                      installed; it costs the load generator's core far less)
  --write-docs        rewrite the table in docs/performance.md
  --redis-stall       instead: a rate-limited route on Redis, healthy, stalled (SIGSTOP)
                      and resumed, beside the in-process store (needs redis-server)
  --http2             instead: HTTP/2 (h2c) through Turnpike and nginx, the same route over
                      HTTP/1.1, gRPC unary through Turnpike and direct (needs h2load)
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
      rate: { type: 'string' },
      only: { type: 'string' },
      loadgen: { type: 'string' },
      backend: { type: 'string' },
      'no-pin': { type: 'boolean', default: false },
      'write-docs': { type: 'boolean', default: false },
      'redis-stall': { type: 'boolean', default: false },
      http2: { type: 'boolean', default: false },
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
    rate: values.rate === undefined ? null : int('rate', values.rate, 0, 1, 10_000_000),
    only: values.only === undefined ? null : values.only.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    writeDocs: values['write-docs'],
    loadgen,
    pin: !values['no-pin'],
    redisStall: values['redis-stall'],
    http2: values.http2,
    help: values.help
  }
}
