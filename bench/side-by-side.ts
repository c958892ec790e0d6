// A side-by-side CPU comparison for a loaded machine, where the interleaved bench's
// req/s mostly measures the neighbours: every gateway is up at once on the proxy's CPU
// (taskset -c 1), then each in turn takes the same load (wrk -t1 -c50 at full speed)
// and its CPU per request is read from /proc. Round 0 warms
// up and is not counted. Builds and configs are chosen per gateway, so one run compares
// a change with its baseline and a variant with its plain route:
//
//   node --import tsx bench/side-by-side.ts one:dist:single mirror:dist:mirror \
//     base-mirror:dist-baseline:mirror static:dist:static100 dns:dist:dns100
//
// NAME:DIST:CONFIG[:prof], CONFIG one of single, ratelimit, static100, dns100, mirror (DIST `floor`:
// bench/floor-proxy.ts, CONFIG ignored); `prof` adds
// --cpu-prof (profiles in /tmp/side-by-side/prof-NAME); a field that starts with `--` is
// node flags, comma-separated. Env: ROUNDS (5), SECS (5). wrk,
// the backend and this script use CPU 0.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { cpuMs } from './cpu.js'
import { freePort, waitFor200 } from './net.js'
import { singleRoute, withRateLimit, type TurnpikeConfig } from './targets/turnpike.js'
import type { BenchContext } from './targets/types.js'
import { hundredDiscovered, hundredStatic, mirroredRoute } from './targets/upstreams.js'

const SECS = Number(process.env.SECS ?? 5)
const ROUNDS = Number(process.env.ROUNDS ?? 5)
const TMP = '/tmp/side-by-side'
const CONFIGS: Record<string, TurnpikeConfig> = { single: singleRoute, ratelimit: withRateLimit, static100: hundredStatic, dns100: hundredDiscovered(), mirror: mirroredRoute }

interface Gateway { name: string, pid: number, url: string, proc: ChildProcess, samples: number[] }

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ')

function requestsServed (url: string): number {
  const out = spawnSync('taskset', ['-c', '0', 'wrk', '-t1', '-c50', `-d${SECS}s`, url], { encoding: 'utf8' }).stdout
  return Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
}

/** The node:http + undici floor (bench/floor-proxy.ts), as a gateway of the comparison. */
async function startFloor (name: string, upstream: string, profile: string[]): Promise<Gateway> {
  const port = await freePort()
  const proc = spawn('taskset', ['-c', '1', process.execPath, ...profile, '--import', 'tsx', 'bench/floor-proxy.ts', '--upstream', upstream, '--port', String(port)], { stdio: ['ignore', 'ignore', 'inherit'] })
  await waitFor200(`http://127.0.0.1:${port}/api/hello`, 20_000, () => proc.exitCode === null)
  return { name, pid: proc.pid as number, url: `http://127.0.0.1:${port}/api/hello`, proc, samples: [] }
}

async function main (): Promise<void> {
  mkdirSync(TMP, { recursive: true })
  const children: ChildProcess[] = []
  process.on('exit', () => { for (const c of children) c.kill('SIGTERM') })
  const backend = spawn('taskset', ['-c', '0', process.execPath, '--import', 'tsx', 'bench/backend.ts'], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(backend)
  const port = await new Promise<string>((resolve) => backend.stdout?.on('data', (d: Buffer) => {
    const m = /listening (\d+)/.exec(String(d))
    if (m !== null) resolve(m[1] as string)
  }))
  const ctx = { backendUrl: `http://127.0.0.1:${port}`, tmpDir: TMP } as BenchContext
  const gateways: Gateway[] = []
  for (const spec of process.argv.slice(2)) {
    const [name, dist, kind, prof] = spec.split(':') as [string, string, string, string | undefined]
    const profile = prof === 'prof' ? ['--cpu-prof', `--cpu-prof-dir=${TMP}/prof-${name}`] : prof?.startsWith('--') === true ? prof.split(',') : []
    if (dist === 'floor') {
      gateways.push(await startFloor(name, ctx.backendUrl, profile))
      children.push(gateways[gateways.length - 1]?.proc as ChildProcess)
      continue
    }
    const config = CONFIGS[kind]
    if (config === undefined) throw new Error(`${spec}: unknown config ${kind} (${Object.keys(CONFIGS).join(', ')})`)
    const ports = { port: await freePort(), adminPort: await freePort() }
    const file = `${TMP}/${name}.yaml`
    writeFileSync(file, await config(ctx, ports))
    const proc = spawn('taskset', ['-c', '1', process.execPath, ...profile, `${dist}/src/cli/main.js`, 'start', '-c', file], { stdio: ['ignore', 'ignore', 'inherit'] })
    children.push(proc)
    await waitFor200(`http://127.0.0.1:${ports.adminPort}/readyz`, 20_000, () => proc.exitCode === null)
    gateways.push({ name, pid: proc.pid as number, url: `http://127.0.0.1:${ports.port}/api/hello`, proc, samples: [] })
  }
  console.log(`load average ${load()} at the start`)
  for (let round = 0; round <= ROUNDS; round++) {
    for (const gw of gateways) {
      const before = cpuMs(gw.pid) as number
      const served = requestsServed(gw.url)
      const us = ((cpuMs(gw.pid) as number) - before) * 1000 / served
      if (round > 0) gw.samples.push(us)
      console.log(`round ${round} ${gw.name}: ${served} requests, ${(served / SECS).toFixed(0)}/s, ${us.toFixed(0)} µs/req`)
    }
  }
  console.log(`load average ${load()} at the end`)
  for (const gw of gateways) {
    const sorted = [...gw.samples].sort((a, b) => a - b)
    console.log(`${gw.name}: median ${(sorted[Math.floor(sorted.length / 2)] as number).toFixed(0)} µs/req [${gw.samples.map((x) => x.toFixed(0)).join(' / ')}]`)
    gw.proc.kill('SIGTERM')
  }
  await Promise.all(gateways.map(async (gw) => await new Promise((resolve) => gw.proc.once('exit', resolve))))
  process.exit(0)
}

await main()
