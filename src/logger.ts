// The process logger (pino), JSON lines to standard output through a LineSink (batched
// per event-loop turn, written without the thread pool: log-sink.ts). `pretty` goes
// through pino-pretty instead and has no sink.
import pino, { type Logger } from 'pino'
import type { LoggingConfig } from './config/schema.js'
import { LineSink } from './log-sink.js'

export interface Logging {
  readonly logger: Logger
  /** Where the logger's lines go; null for `pretty`. The access log writes its lines here directly (access-line.ts). */
  readonly sink: LineSink | null
}

export function createLogging (logging: Pick<LoggingConfig, 'level' | 'format'>): Logging {
  if (logging.format === 'pretty') {
    return { logger: pino({ level: logging.level, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } }), sink: null }
  }
  const sink = new LineSink()
  return { logger: pino({ level: logging.level, base: { pid: process.pid } }, sink), sink }
}

export function createLogger (logging: Pick<LoggingConfig, 'level' | 'format'>): Logger {
  return createLogging(logging).logger
}
