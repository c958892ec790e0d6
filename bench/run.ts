// `npm run bench`: the backend alone, Turnpike, a bare Fastify proxy and nginx, measured
// in one run and interleaved (A B C D, B C D A, …) so that drift on the machine (thermal,
// other tenants, a cron job) spreads over all targets instead of landing on one.
// See docs/performance.md for what the numbers mean.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseBenchArgs, USAGE, type BenchArgs } from './args.js'
import { writeDocsTable } from './docs.js'
import { formatReport } from './format.js'
import { autocannonGenerator } from './load/autocannon.js'
import type { LoadGenerator, LoadOptions } from './load/types.js'
import { wrkGenerator } from './load/wrk.js'
import { describeMachine, pinSelf } from './machine.js'
import { startNodeChild } from './node-child.js'
import { ProcessRegistry } from './procs.js'
import { ratios, summarise, type BenchReport, type TargetResult } from './results.js'
import { TARGETS } from './targets/index.js'
import type { BenchContext, Running, Target } from './targets/types.js'
import { findExecutable } from './tools.js'
import { cpuMs, treeCpuMs } from './cpu.js'
import { formatStall, runRedisStall } from './redis-stall.js'
import { formatHttp2, runHttp2Bench } from './http2.js'
import { startNginxBackend } from './nginx-backend.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const PROXY_CPU = 1
const SIDE_CPU = 0

function chooseTargets (only: string[] | null): Target[] {
  if (only === null) return [...TARGETS]
  const unknown = only.filter((n) => !TARGETS.some((t) => t.name === n))
  if (unknown.length > 0) throw new Error(`--only: unknown target(s) ${unknown.join(', ')}; known: ${TARGETS.map((t) => t.name).join(', ')}`)
  return TARGETS.filter((t) => only.includes(t.name))
}

function chooseLoadGenerator (args: BenchArgs, procs: ProcessRegistry, tmpDir: string): LoadGenerator {
  const wrk = findExecutable('wrk')
  if (args.loadgen === 'wrk' && wrk === null) throw new Error('--loadgen wrk: wrk is not installed (apt-get install -y wrk)')
  if (wrk !== null && args.loadgen !== 'autocannon') return wrkGenerator(procs, wrk, SIDE_CPU, tmpDir)
  return autocannonGenerator(procs, ROOT, SIDE_CPU)
}

/** CPU a target's children have used since they started, above which it is a cluster (its workers). */
const CHILDREN_MS = 100

const fmtRound = (r: { rps: number, p50: number, p99: number, errors: number, cpuUsPerRequest?: number }) =>
  `${Math.round(r.rps).toLocaleString('en-US').padStart(8)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms` +
  (r.cpuUsPerRequest === undefined ? '' : `  cpu ${r.cpuUsPerRequest.toFixed(1)} µs/req`) +
  (r.errors > 0 ? `  ERRORS ${r.errors}` : '')

async function bench (args: BenchArgs, procs: ProcessRegistry, tmpDir: string): Promise<BenchReport> {
  const startedAt = new Date().toISOString()
  const machine = describeMachine()
  const targets = chooseTargets(args.only)
  const loadgen = chooseLoadGenerator(args, procs, tmpDir)
  const load: LoadOptions = { connections: args.connections, durationS: args.durationS, ...(args.rate === null ? {} : { rate: args.rate }) }
  const pinning = procs.pin
    ? `pinned with taskset: proxy under test on CPU ${PROXY_CPU}; load generator, backend and this script on CPU ${SIDE_CPU}`
    : 'not pinned (no taskset, fewer than 2 CPUs, or --no-pin): every process shares every core'
  console.log(`bench: ${pinning}`)
  console.log(`bench: load generator: ${loadgen.describe(load)}`)

  const nginx = findExecutable('nginx')
  if (args.backend === 'nginx' && nginx === null) throw new Error('--backend nginx: nginx is not installed')
  const backendKind = args.backend === 'node' || nginx === null ? 'node:http' : 'nginx'
  const startBackend = backendKind === 'nginx'
    ? () => startNginxBackend(procs, nginx as string, tmpDir, SIDE_CPU)
    : () => startNodeChild(procs, { name: 'backend', root: ROOT, script: 'bench/backend.ts', args: [], cpu: SIDE_CPU })
  const backend = await startBackend()
  const ctx: BenchContext = { root: ROOT, tmpDir, backendUrl: backend.url, startBackend, procs, proxyCpu: PROXY_CPU }
  console.log(`bench: ${backendKind} backend on ${backend.url}`)

  // Everything starts before the first round and stays up: idle proxies cost nothing,
  // and each round then sees the same processes, warmed by the previous rounds.
  const results: TargetResult[] = []
  const running = new Map<string, Running>()
  for (const t of targets) {
    const result: TargetResult = { name: t.name, about: t.about, compare: t.compare === true, relativeTo: t.relativeTo, status: 'ok', rounds: [], errors: 0 }
    results.push(result)
    const reason = t.unavailable({ root: ROOT })
    if (reason !== null) {
      Object.assign(result, { status: 'skipped', note: reason })
      console.log(`bench: skipping ${t.name}: ${reason}`)
      continue
    }
    try {
      running.set(t.name, await t.start(ctx))
      console.log(`bench: ${t.name} ready on ${running.get(t.name)?.url}`)
    } catch (err) {
      const note = err instanceof Error ? err.message : String(err)
      Object.assign(result, { status: 'failed', note: note.split('\n')[0] })
      console.error(`bench: ${t.name} failed to start: ${note}`)
    }
  }
  if (running.size === 0) throw new Error('no target could be started')

  for (let round = 1; round <= args.rounds; round++) {
    // Each round starts one target later (A B C, B C A, C A B…): the first target of a
    // round measured consistently lower here, so no target always takes that place.
    const shift = (round - 1) % results.length
    for (const result of [...results.slice(shift), ...results.slice(0, shift)]) {
      const target = running.get(result.name)
      if (target === undefined) continue
      const withHeaders = { ...load, headers: target.headers }
      if (args.warmupS > 0) await loadgen.run(target.url, { ...withHeaders, durationS: args.warmupS })
      const cpuBefore = treeCpuMs(target.pid)
      const ownBefore = cpuMs(target.pid)
      const r = await loadgen.run(target.url, withHeaders)
      const cpuAfter = treeCpuMs(target.pid)
      const ownAfter = cpuMs(target.pid)
      if (cpuBefore !== undefined && cpuAfter !== undefined && r.requests > 0) r.cpuUsPerRequest = (cpuAfter - cpuBefore) * 1000 / r.requests
      result.rounds.push(r)
      // A cluster's primary (the process started; the workers are its children) on its own: it should do no work per request.
      const own = ownBefore !== undefined && ownAfter !== undefined && r.requests > 0 && cpuAfter !== undefined && cpuAfter - ownAfter > CHILDREN_MS ? `  (primary ${((ownAfter - ownBefore) * 1000 / r.requests).toFixed(1)} µs/req)` : ''
      console.log(`round ${round}/${args.rounds}  ${result.name.padEnd(10)} ${fmtRound(r)}${own}`)
    }
  }

  const summarised = results.map(summarise)
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    settings: {
      rounds: args.rounds,
      durationS: args.durationS,
      warmupS: args.warmupS,
      connections: args.connections,
      rate: args.rate ?? 'as fast as answered',
      loadgen: loadgen.name,
      loadgenCommand: loadgen.describe(load),
      pinned: procs.pin,
      pinning,
      backend: backendKind
    },
    targets: summarised,
    ratios: ratios(summarised)
  }
}

/** --redis-stall: the one scenario, printed and written to bench/results/redis-stall.json. */
async function redisStall (args: BenchArgs, procs: ProcessRegistry, tmpDir: string): Promise<number> {
  if (findExecutable('redis-server') === null) throw new Error('--redis-stall: redis-server is not installed')
  const loadgen = chooseLoadGenerator(args, procs, tmpDir)
  const startBackend = () => startNodeChild(procs, { name: 'backend', root: ROOT, script: 'bench/backend.ts', args: [], cpu: SIDE_CPU })
  const backend = await startBackend()
  const ctx: BenchContext = { root: ROOT, tmpDir, backendUrl: backend.url, startBackend, procs, proxyCpu: PROXY_CPU }
  const report = await runRedisStall(args, ctx, loadgen, SIDE_CPU)
  console.log(`\n${formatStall(report)}\n`)
  const resultsDir = join(ROOT, 'bench', 'results')
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(join(resultsDir, 'redis-stall.json'), `${JSON.stringify({ machine: describeMachine(), ...report }, null, 2)}\n`)
  console.log('bench: wrote bench/results/redis-stall.json')
  return report.floor.p99Ok && report.floor.rpsOk ? 0 : 1
}

/** --http2: HTTP/2 and gRPC, printed and written to bench/results/http2.json. */
async function http2 (args: BenchArgs, procs: ProcessRegistry, tmpDir: string): Promise<number> {
  const report = await runHttp2Bench(args, procs, ROOT, tmpDir, PROXY_CPU, SIDE_CPU)
  console.log(`\n${formatHttp2(report)}\n`)
  const resultsDir = join(ROOT, 'bench', 'results')
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(join(resultsDir, 'http2.json'), `${JSON.stringify({ machine: describeMachine(), ...report }, null, 2)}\n`)
  console.log('bench: wrote bench/results/http2.json')
  return report.floorMet && report.rows.every((r) => r.failed === 0) ? 0 : 1
}

async function main (): Promise<number> {
  const args = parseBenchArgs(process.argv.slice(2))
  if (args.help) {
    console.log(USAGE)
    return 0
  }
  const canPin = args.pin && findExecutable('taskset') !== null && cpus().length >= 2 && pinSelf(SIDE_CPU)
  const procs = new ProcessRegistry(canPin)
  const tmpDir = mkdtempSync(join(tmpdir(), 'turnpike-bench-'))
  const cleanup = async (): Promise<void> => {
    await procs.stopAll()
    rmSync(tmpDir, { recursive: true, force: true })
  }
  // Our children have their own process groups, so Ctrl-C reaches only us: stop them here.
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\nbench: ${signal}, stopping every child process…`)
    void cleanup().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.once('exit', () => procs.killAllNow())

  try {
    if (args.redisStall) return await redisStall(args, procs, tmpDir)
    if (args.http2) return await http2(args, procs, tmpDir)
    const report = await bench(args, procs, tmpDir)
    await cleanup()
    const text = formatReport(report)
    console.log(`\n${text}\n`)
    const resultsDir = join(ROOT, 'bench', 'results')
    mkdirSync(resultsDir, { recursive: true })
    writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`)
    console.log('bench: wrote bench/results/latest.json')
    if (args.writeDocs) {
      writeDocsTable(join(ROOT, 'docs', 'performance.md'), text)
      console.log('bench: updated docs/performance.md')
    }
    return report.targets.some((t) => t.status === 'failed' || t.errors > 0) ? 1 : 0
  } finally {
    await cleanup()
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
