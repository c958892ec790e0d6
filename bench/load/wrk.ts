// wrk: C, one thread, so the load generator itself costs as little of its core as possible.
import type { ProcessRegistry } from '../procs.js'
import { parseWrk } from './wrk-parse.js'
import type { LoadGenerator, LoadOptions } from './types.js'

// wrk stops itself after -d; this only catches a hung one.
const GRACE_MS = 30_000

const wrkArgs = (url: string, o: LoadOptions) => [
  '-t1', `-c${o.connections}`, `-d${o.durationS}s`, '--latency',
  ...Object.entries(o.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
  url
]

export function wrkGenerator (procs: ProcessRegistry, wrkPath: string, cpu: number): LoadGenerator {
  return {
    name: 'wrk',
    describe: (o) => `wrk ${wrkArgs('<url>', o).join(' ')}`,
    async run (url, o) {
      const proc = procs.spawn('wrk', wrkPath, wrkArgs(url, o), { cpu })
      const timer = setTimeout(() => { void procs.stop(proc) }, o.durationS * 1000 + GRACE_MS)
      const how = await proc.exited
      clearTimeout(timer)
      if (how !== 'exited with 0') throw new Error(`wrk ${how}\n${proc.output()}`)
      return parseWrk(proc.output())
    }
  }
}
