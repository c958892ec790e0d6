// Instructions a gateway process executes per proxied request, counted by valgrind's
// callgrind: the same build and load give the same count to about 0.2 % whatever else
// the machine is doing, where CPU time of identical builds varies by 10 % between
// processes on this VM. That makes it the measure for A/B-testing a hot-path change
// (a few thousand instructions a request); CPU time, requests/s and p99 stay with
// bench/run.ts and bench/side-by-side.ts. It does not see time in the kernel (syscalls,
// loopback TCP), cache misses or the other threads' parallelism: it counts user-space
// instructions of all the process's threads (V8's compiler and GC helpers included).
//
//   node --import tsx bench/instructions.ts now:dist before:/path/to/other/dist floor:floor
//
// NAME:DIST[:CONFIG[:h2]] (DIST `floor`: bench/floor-proxy.ts; CONFIG as in
// side-by-side.ts, default single; `h2`: `server.http2: true` and the load over h2c, one
// session per connection, one stream at a time on each). Each target runs under callgrind with instrumentation off while it
// warms up (WARM requests), then on for MEASURE requests, all over the same CONC
// keep-alive connections (new connections in between make V8 deoptimize and recompile
// node's HTTP code, which would land in the count). Env: WARM (20000), MEASURE (4000),
// CONC (1: one request per event-loop turn, the most repeatable), CPU (1: the gateway's
// core; the backend gets the other), NODE_FLAGS (for the
// gateway, e.g. --perf-basic-prof to name JIT code: /tmp/perf-PID.map, PID printed). The access log goes to
// /dev/null, and the config lives in a directory of its own: the config watcher wakes
// for every write in its directory.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect, constants as h2 } from 'node:http2'
import { Pool } from 'undici'
import { freePort, waitFor200 } from './net.js'
import { singleRoute, withRateLimit, type TurnpikeConfig } from './targets/turnpike.js'
import { hundredDiscovered, hundredStatic, mirroredRoute } from './targets/upstreams.js'
import type { BenchContext } from './targets/types.js'

const WARM = Number(process.env.WARM ?? 20_000)
const MEASURE = Number(process.env.MEASURE ?? 4_000)
const CONC = Number(process.env.CONC ?? 1)
/** The core the gateway runs on (the backend and the load take the other). */
const CPU = Number(process.env.CPU ?? 1)
const NODE_FLAGS = (process.env.NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '')
const CONFIGS: Record<string, TurnpikeConfig> = { single: singleRoute, ratelimit: withRateLimit, static100: hundredStatic, dns100: hundredDiscovered(), mirror: mirroredRoute }

function hasValgrind (): boolean {
  return spawnSync('valgrind', ['--version']).status === 0 && spawnSync('callgrind_control', ['--version']).status === 0
}

interface LoadClient {
  /** One GET on connection `i`; its status. */
  get: (i: number) => Promise<number>
  close: () => Promise<void>
}

function h1Client (target: URL): LoadClient {
  const pool = new Pool(target.origin, { connections: CONC })
  return {
    async get () {
      const answer = await pool.request({ path: target.pathname, method: 'GET' })
      await answer.body.text()
      return answer.statusCode
    },
    close: async () => { await pool.close() }
  }
}

function h2Client (target: URL): LoadClient {
  const sessions = Array.from({ length: CONC }, () => connect(target.origin))
  return {
    get: async (i) => await new Promise<number>((resolve, reject) => {
      const stream = (sessions[i] as ReturnType<typeof connect>).request({ [h2.HTTP2_HEADER_PATH]: target.pathname })
      let status = 0
      stream.on('response', (headers) => { status = Number(headers[h2.HTTP2_HEADER_STATUS]) })
      stream.on('error', reject)
      stream.resume()
      stream.on('end', () => { resolve(status) })
    }),
    close: async () => { await Promise.all(sessions.map(async (session) => await new Promise<void>((resolve) => { session.close(resolve) }))) }
  }
}

/** Starts `args` under callgrind on CPU 1, counts MEASURE requests after WARM; instructions per request. */
async function count (name: string, args: string[], url: string, dir: string, http2: boolean): Promise<number> {
  const out = join(dir, `callgrind.${name}`)
  const proc = spawn('taskset', ['-c', String(CPU), 'valgrind', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${out}`, ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  proc.stderr.on('data', (d: Buffer) => { stderr += String(d) })
  const exited = new Promise((resolve) => proc.once('exit', resolve))
  try {
    await waitFor200(url, 120_000, () => proc.exitCode === null)
    // The warm-up also runs over the measured connections: see the top of this file.
    const pid = String(proc.pid)
    const target = new URL(url)
    const client = http2 ? h2Client(target) : h1Client(target)
    const run = async (requests: number): Promise<number> => {
      let left = requests
      let failed = 0
      await Promise.all(Array.from({ length: CONC }, async (_, i) => {
        while (left-- > 0) if (await client.get(i) !== 200) failed++
      }))
      return failed
    }
    let failed = await run(WARM)
    spawnSync('callgrind_control', ['-i', 'on', pid], { stdio: 'ignore' })
    failed += await run(MEASURE)
    spawnSync('callgrind_control', ['-d', pid], { stdio: 'ignore' })
    spawnSync('callgrind_control', ['-i', 'off', pid], { stdio: 'ignore' })
    await client.close()
    if (failed > 0) throw new Error(`${name}: ${failed} requests did not answer 200`)
    if (NODE_FLAGS.length > 0) console.log(`${name}: pid ${pid}`)
  } catch (err) {
    throw new Error(`${name}: ${err instanceof Error ? err.message : String(err)}\n${stderr.slice(-2000)}`, { cause: err })
  } finally {
    proc.kill('SIGTERM')
    await exited
  }
  // The dump asked for above is the `.1` part; the final one at exit holds nothing measured.
  const dump = readdirSync(dir).find((file) => file === `callgrind.${name}.1`)
  if (dump === undefined) throw new Error(`${name}: callgrind wrote no dump`)
  const totals = /^totals: (\d+)/m.exec(readFileSync(join(dir, dump), 'utf8'))
  if (totals === null) throw new Error(`${name}: no totals in ${dump}`)
  return Number(totals[1]) / MEASURE
}

async function main (): Promise<void> {
  if (!hasValgrind()) {
    console.log('valgrind (with callgrind_control) is not installed: apt-get install valgrind')
    return
  }
  const dir = mkdtempSync('/tmp/turnpike-instructions-')
  const backend = spawn('taskset', ['-c', String(1 - CPU), process.execPath, '--import', 'tsx', 'bench/backend.ts'], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const port = await new Promise<string>((resolve) => backend.stdout.on('data', (d: Buffer) => {
      const m = /listening (\d+)/.exec(String(d))
      if (m !== null) resolve(m[1] as string)
    }))
    const ctx = { backendUrl: `http://127.0.0.1:${port}`, tmpDir: dir } as BenchContext
    const results: Array<[string, number]> = []
    for (const spec of process.argv.slice(2)) {
      const [name, dist, kind = 'single', mode] = spec.split(':') as [string, string, string | undefined, string | undefined]
      const http2 = mode === 'h2'
      const gatewayPort = await freePort()
      let args: string[]
      if (dist === 'floor') {
        args = [process.execPath, '--import', 'tsx', 'bench/floor-proxy.ts', '--upstream', ctx.backendUrl, '--port', String(gatewayPort)]
      } else {
        const config = CONFIGS[kind]
        if (config === undefined) throw new Error(`${spec}: unknown config ${kind} (${Object.keys(CONFIGS).join(', ')})`)
        const configDir = join(dir, `config-${name}`)
        mkdirSync(configDir)
        const file = join(configDir, 'gateway.yaml')
        const text = await config(ctx, { port: gatewayPort, adminPort: await freePort() })
        writeFileSync(file, http2 ? text.replace(/^server:\n/m, 'server:\n  http2: true\n') : text)
        args = [process.execPath, ...NODE_FLAGS, `${dist}/src/cli/main.js`, 'start', '-c', file]
      }
      const perRequest = await count(name, args, `http://127.0.0.1:${gatewayPort}/api/hello`, dir, http2)
      results.push([name, perRequest])
      console.log(`${name}: ${Math.round(perRequest)} instructions a request`)
    }
    const [first] = results
    if (first !== undefined) {
      for (const [name, perRequest] of results.slice(1)) console.log(`${first[0]} / ${name}: ${(first[1] / perRequest).toFixed(3)}×`)
    }
    console.log(`WARM=${WARM} MEASURE=${MEASURE} CONC=${CONC}; callgrind files in ${dir}`)
  } finally {
    backend.kill('SIGTERM')
  }
}

await main()
