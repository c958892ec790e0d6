// The process logger (pino). JSON lines by default, written asynchronously so a slow
// stdout never stalls the data plane; `pretty` for humans at a terminal.
import pino, { type Logger } from 'pino'
import type { LoggingConfig } from './config/schema.js'

export function createLogger (logging: Pick<LoggingConfig, 'level' | 'format'>): Logger {
  if (logging.format === 'pretty') {
    return pino({ level: logging.level, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } })
  }
  return pino({ level: logging.level, base: { pid: process.pid } }, pino.destination({ dest: 1, sync: false }))
}
