// A micro-benchmark behind the access log's writer (src/log-sink.ts, src/access-line.ts):
// the process CPU (every thread, the thread pool's included) per access-log line, 16 lines
// per event-loop turn as a loaded gateway writes them, 200,000 lines, for
//   pino-async  pino's own destination as the gateway had it (sonic-boom, sync: false,
//               4 KiB batches: each write goes through libuv's thread pool)
//   pino-sink   pino's serializer into the LineSink
//   line-sink   the route's AccessLine into the LineSink (what the gateway does now)
// Run it pinned, with stdout a file or a pipe, e.g.
//   taskset -c 1 node --import tsx bench/log-lines.ts line-sink > /dev/null
//   taskset -c 1 node --import tsx bench/log-lines.ts line-sink | cat > /dev/null
// The result goes to stderr.
import type { FastifyRequest } from 'fastify'
import pino from 'pino'
import { AccessLine, accessFields } from '../src/access-line.js'
import { LineSink } from '../src/log-sink.js'
import { RequestContext } from '../src/proxy/context.js'
import type { Target } from '../src/upstream/target.js'

const LINES = 200_000
const PER_TURN = 16
const mode = process.argv[2] ?? 'line-sink'

const ctx = new RequestContext('/hello', '', 'gw.test', 'http1', null)
ctx.target = { origin: 'http://127.0.0.1:8080' } as Target
ctx.streamedBytes = 96
ctx.clientIp = '127.0.0.1'
const request = { id: 'a0df81b5-fee8-49ae-a264-1f367476329f', method: 'GET', turnpike: ctx } as unknown as FastifyRequest

let write: (seconds: number) => void
let flush: () => void
if (mode === 'pino-async') {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 2048, maxWrite: 4096, periodicFlush: 250 } as Parameters<typeof pino.destination>[0])
  const log = pino({ base: { pid: process.pid } }, destination).child({ route: 'api', upstream: 'backend' })
  write = (seconds) => { log.info(accessFields(request, 200, seconds), 'access') }
  flush = () => { destination.flushSync() }
} else if (mode === 'pino-sink' || mode === 'line-sink') {
  const sink = new LineSink()
  const log = pino({ base: { pid: process.pid } }, sink).child({ route: 'api', upstream: 'backend' })
  const line = new AccessLine(sink, log)
  write = mode === 'pino-sink'
    ? (seconds) => { log.info(accessFields(request, 200, seconds), 'access') }
    : (seconds) => { line.write(request, 200, seconds) }
  flush = () => { sink.flushSync() }
} else {
  throw new Error(`unknown mode ${mode} (pino-async, pino-sink, line-sink)`)
}

const before = process.cpuUsage()
let written = 0
await new Promise<void>((resolve) => {
  const turn = (): void => {
    for (let i = 0; i < PER_TURN && written < LINES; i++, written++) write(0.001 + written * 1e-9)
    if (written < LINES) setImmediate(turn)
    else resolve()
  }
  turn()
})
flush()
const used = process.cpuUsage(before)
process.stderr.write(`${mode}: ${((used.user + used.system) / LINES).toFixed(2)} µs of CPU per line (user ${(used.user / LINES).toFixed(2)}, system ${(used.system / LINES).toFixed(2)})\n`)
