// wrk: C, one thread, so the load generator itself costs as little of its core as possible.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ProcessRegistry } from '../procs.js'
import { parseWrk } from './wrk-parse.js'
import type { LoadGenerator, LoadOptions } from './types.js'

// wrk stops itself after -d; this only catches a hung one.
const GRACE_MS = 30_000

/**
 * An offered rate for wrk, which has no rate flag: its Lua `delay()` hook holds each
 * connection's next request for a fixed time after an answer, so each connection offers
 * one request per (delay + latency). At a rate well below saturation the latency is a
 * fraction of a millisecond, and the rate reached is what the report prints anyway.
 */
export function delayMs (o: Pick<LoadOptions, 'connections' | 'rate'>): number | null {
  return o.rate === undefined ? null : Math.max(1, Math.round(o.connections * 1000 / o.rate))
}

const wrkArgs = (url: string, o: LoadOptions, script: string) => [
  '-t1', `-c${o.connections}`, `-d${o.durationS}s`, '--latency',
  ...(o.rate === undefined ? [] : ['-s', script]),
  ...Object.entries(o.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
  url
]

export function wrkGenerator (procs: ProcessRegistry, wrkPath: string, cpu: number, tmpDir: string): LoadGenerator {
  const script = join(tmpDir, 'wrk-delay.lua')
  return {
    name: 'wrk',
    describe: (o) => `wrk ${wrkArgs('<url>', o, 'delay.lua').join(' ')}${o.rate === undefined ? '' : ` (delay.lua: ${String(delayMs(o))} ms after each answer, for about ${o.rate} req/s)`}`,
    async run (url, o) {
      const delay = delayMs(o)
      if (delay !== null) writeFileSync(script, `function delay()\n  return ${delay}\nend\n`)
      const proc = procs.spawn('wrk', wrkPath, wrkArgs(url, o, script), { cpu })
      const timer = setTimeout(() => { void procs.stop(proc) }, o.durationS * 1000 + GRACE_MS)
      const how = await proc.exited
      clearTimeout(timer)
      if (how !== 'exited with 0') throw new Error(`wrk ${how}\n${proc.output()}`)
      return parseWrk(proc.output())
    }
  }
}
