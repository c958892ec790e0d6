// `npm run bench -- --redis-stall`: a rate-limited route on Redis while Redis is
// healthy, stalled (SIGSTOP on a private redis-server: connections stay open, nothing
// is answered) and resumed (SIGCONT), each phase measured in turn within one round,
// beside the same route on the in-process store. Rounds repeat the sequence
// (in-process, healthy, stalled, resumed). The floor the gateway must hold: while
// stalled, p99 within 2 × redis.timeout of the healthy p99, and at least 80% of the
// in-process store's requests per second.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { BenchArgs } from './args.js'
import type { LoadGenerator, LoadOptions, LoadResult } from './load/types.js'
import { freePort } from './net.js'
import { waitForOutput, type Proc, type ProcessRegistry } from './procs.js'
import { turnpikeTarget, withRateLimit } from './targets/turnpike.js'
import type { BenchContext, Running } from './targets/types.js'

export const REDIS_TIMEOUT_MS = 50
const PHASES = ['in-process', 'redis healthy', 'redis stalled', 'redis resumed'] as const
type Phase = typeof PHASES[number]

export interface StallReport {
  settings: Record<string, string | number | boolean>
  phases: Record<Phase, LoadResult[]>
  medians: Record<Phase, { rps: number, p99: number }>
  floor: { p99Limit: number, rpsLimit: number, p99Ok: boolean, rpsOk: boolean }
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

async function startRedis (procs: ProcessRegistry, cpu: number): Promise<{ proc: Proc, url: string }> {
  const port = await freePort()
  const proc = procs.spawn('redis-server', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { cpu })
  await procs.untilReady(proc, async () => await waitForOutput(proc, /Ready to accept connections/, 10_000))
  return { proc, url: `redis://127.0.0.1:${port}` }
}

/** SIGSTOP / SIGCONT to the redis-server we started (its own process group, by PID). */
function signal (proc: Proc, name: 'SIGSTOP' | 'SIGCONT'): void {
  const pid = proc.child.pid
  if (pid !== undefined && proc.alive()) process.kill(-pid, name)
}

export async function runRedisStall (args: BenchArgs, ctx: BenchContext, loadgen: LoadGenerator, sideCpu: number): Promise<StallReport> {
  if (!existsSync(join(ctx.root, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/src/cli/main.js missing (npm run build)')
  const redis = await startRedis(ctx.procs, sideCpu)
  const onRedis = turnpikeTarget({
    name: 'turnpike-rl-redis',
    about: `the rate-limited route on Redis, redis.timeout ${REDIS_TIMEOUT_MS}ms`,
    config: async (c, ports) => `${await withRateLimit(c, ports)}redis: { url: "${redis.url}", keyPrefix: "bench:", timeout: ${REDIS_TIMEOUT_MS}ms }\n`
  })
  const local = turnpikeTarget({ name: 'turnpike-rl-local', about: 'the rate-limited route, in-process store', config: withRateLimit })
  const running: Record<'redis' | 'local', Running> = { redis: await onRedis.start(ctx), local: await local.start(ctx) }
  const load: LoadOptions = { connections: args.connections, durationS: args.durationS }
  const phases: Record<Phase, LoadResult[]> = { 'in-process': [], 'redis healthy': [], 'redis stalled': [], 'redis resumed': [] }
  try {
    for (let round = 1; round <= args.rounds; round++) {
      for (const phase of PHASES) {
        const target = phase === 'in-process' ? running.local : running.redis
        if (phase === 'in-process' || phase === 'redis healthy') {
          if (args.warmupS > 0) await loadgen.run(target.url, { ...load, durationS: args.warmupS })
        }
        if (phase === 'redis stalled') signal(redis.proc, 'SIGSTOP')
        if (phase === 'redis resumed') signal(redis.proc, 'SIGCONT')
        // Measured from the moment of the signal: the requests in flight when Redis
        // stalls and those before the breaker opens are in these numbers.
        const r = await loadgen.run(target.url, load)
        phases[phase].push(r)
        console.log(`round ${round}/${args.rounds}  ${phase.padEnd(14)} ${Math.round(r.rps).toLocaleString('en-US').padStart(8)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms${r.errors > 0 ? `  ERRORS ${r.errors}` : ''}`)
      }
    }
  } finally {
    signal(redis.proc, 'SIGCONT')
    await running.redis.stop()
    await running.local.stop()
    await ctx.procs.stop(redis.proc)
  }
  const medians = Object.fromEntries(PHASES.map((p) => [p, { rps: median(phases[p].map((r) => r.rps)), p99: median(phases[p].map((r) => r.p99)) }])) as StallReport['medians']
  const p99Limit = medians['redis healthy'].p99 + 2 * REDIS_TIMEOUT_MS
  const rpsLimit = 0.8 * medians['in-process'].rps
  return {
    settings: { rounds: args.rounds, durationS: args.durationS, warmupS: args.warmupS, connections: args.connections, loadgen: loadgen.describe(load), redisTimeoutMs: REDIS_TIMEOUT_MS },
    phases,
    medians,
    floor: { p99Limit, rpsLimit, p99Ok: medians['redis stalled'].p99 <= p99Limit, rpsOk: medians['redis stalled'].rps >= rpsLimit }
  }
}

export function formatStall (report: StallReport): string {
  const s = report.settings
  const rows = PHASES.map((p) => {
    const m = report.medians[p]
    const rounds = report.phases[p].map((r) => Math.round(r.rps).toLocaleString('en-US')).join(' / ')
    const errors = report.phases[p].reduce((n, r) => n + r.errors, 0)
    return `| ${p.padEnd(14)} | ${Math.round(m.rps).toLocaleString('en-US').padStart(8)} | ${m.p99.toFixed(2).padStart(8)} ms | ${String(errors).padStart(6)} | ${rounds} |`
  })
  const f = report.floor
  return [
    `${s.rounds} round(s) × ${s.durationS}s per phase · ${s.connections} connections · ${s.loadgen} · redis.timeout ${s.redisTimeoutMs} ms`,
    '',
    '| phase          |    req/s |         p99 | errors | req/s per round |',
    '|----------------|----------|-------------|--------|-----------------|',
    ...rows,
    '',
    `floor: stalled p99 ≤ healthy p99 + 2 × redis.timeout = ${f.p99Limit.toFixed(2)} ms: ${f.p99Ok ? 'held' : 'MISSED'}; ` +
      `stalled req/s ≥ 80% of in-process = ${Math.round(f.rpsLimit).toLocaleString('en-US')}: ${f.rpsOk ? 'held' : 'MISSED'}`
  ].join('\n')
}
