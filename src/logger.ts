// The process logger (pino). JSON lines by default, written asynchronously and in
// batches: one write(2) per access-log line costs the data plane about a tenth of its
// throughput. A line waits at most FLUSH_MS; the buffer is flushed on exit too.
import pino, { type Logger } from 'pino'
import type { LoggingConfig } from './config/schema.js'

const FLUSH_MS = 250
const BATCH_BYTES = 2048
// Cluster workers and their primary share one stdout: a write of at most PIPE_BUF bytes
// (4096 on Linux) to a pipe is atomic, and sonic-boom cuts its writes on line
// boundaries, so no line of one process is ever split by another's.
const MAX_WRITE = 4096

export function createLogger (logging: Pick<LoggingConfig, 'level' | 'format'>): Logger {
  if (logging.format === 'pretty') {
    return pino({ level: logging.level, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } })
  }
  const destination = pino.destination({ dest: 1, sync: false, minLength: BATCH_BYTES, maxWrite: MAX_WRITE, periodicFlush: FLUSH_MS } as Parameters<typeof pino.destination>[0])
  process.once('exit', () => {
    try { destination.flushSync() } catch { /* stdout already gone */ }
  })
  return pino({ level: logging.level, base: { pid: process.pid } }, destination)
}
