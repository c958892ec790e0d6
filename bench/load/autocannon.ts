// The fallback load generator when wrk is not installed. Node-based, so it needs more
// of its core than wrk does: absolute numbers are lower, ratios still compare.
import { join } from 'node:path'
import type { ProcessRegistry } from '../procs.js'
import type { LoadGenerator, LoadResult } from './types.js'

const GRACE_MS = 30_000

export function autocannonGenerator (procs: ProcessRegistry, root: string, cpu: number): LoadGenerator {
  return {
    name: 'autocannon',
    describe: (o) => `autocannon (programmatic) connections=${o.connections} duration=${o.durationS}s${o.rate === undefined ? '' : ` overallRate=${o.rate}`}`,
    async run (url, o) {
      const script = join(root, 'bench', 'load', 'autocannon-child.ts')
      const proc = procs.spawn('autocannon', process.execPath, ['--import', 'tsx', script, url, String(o.connections), String(o.durationS), JSON.stringify(o.headers ?? {}), String(o.rate ?? 0)], {
        cpu,
        cwd: root
      })
      const timer = setTimeout(() => { void procs.stop(proc) }, o.durationS * 1000 + GRACE_MS)
      const how = await proc.exited
      clearTimeout(timer)
      const line = proc.output().split('\n').reverse().find((l) => l.startsWith('{'))
      if (how !== 'exited with 0' || line === undefined) throw new Error(`autocannon ${how}\n${proc.output()}`)
      return JSON.parse(line) as LoadResult
    }
  }
}
