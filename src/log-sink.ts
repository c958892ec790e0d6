// The process's log destination: standard output, lines batched per event-loop turn.
// pino's own destination (sonic-boom) writes asynchronously through libuv's thread
// pool, and on a loaded core each hand-over to that thread and back cost more than the
// line itself: 3.8 µs of CPU a line to /dev/null and 4.2 µs to a pipe, against 1.7 µs
// and 2.7 µs here with the same pino serializer (bench/log-lines.ts). So the lines of
// one turn are joined and written once, from this thread: with a blocking write to a
// file, a terminal or /dev/null, which never waits long, and through Node's own
// non-blocking stream for a pipe or socket (the container runtime's log pipe), which
// never stalls the event loop.
//
// Bounded: a batch is at most MAX_WRITE bytes, and at most MAX_QUEUED bytes may wait for
// a pipe that is not read; past that, lines are dropped, counted, and the count is said
// in a line of its own once the pipe takes data again.
import { fstatSync, writeSync } from 'node:fs'

// Cluster workers and their primary share one stdout: a write of at most PIPE_BUF bytes
// (4096 on Linux) to a pipe is atomic, and batches end on line boundaries, so no line of
// one process is ever split by another's.
const MAX_WRITE = 4096
const MAX_QUEUED = 8 * 1024 * 1024

export class LineSink {
  private pending = ''
  private scheduled = false
  private dropped = 0
  /** Blocking writes (file, character device) rather than the non-blocking stream (pipe, socket). */
  private readonly direct: boolean

  constructor (private readonly fd = 1) {
    let direct = true
    try {
      const stat = fstatSync(fd)
      direct = stat.isFile() || stat.isCharacterDevice()
    } catch { /* a closed stdout: writes fail and are dropped */ }
    this.direct = direct || fd !== 1
    if (!this.direct) process.stdout.on('error', () => { /* a reader that went away: lines are dropped */ })
    process.once('exit', () => { this.flushSync() })
  }

  /** pino's destination interface: one whole line, newline included. */
  write (line: string): boolean {
    if (this.pending.length + line.length > MAX_WRITE && this.pending !== '') this.flush()
    this.pending += line
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.flushTurn)
    }
    return true
  }

  /** Writes what is pending, then calls back once a pipe has taken it (pino's logger.flush). */
  flush (done?: (err?: Error) => void): void {
    const batch = this.pending
    this.pending = ''
    if (batch !== '') this.writeOut(batch)
    if (done === undefined) return
    if (this.direct || process.stdout.writableLength === 0) {
      done()
      return
    }
    // A pipe nobody reads must not hold a shutdown: give it a moment, then go on.
    const timer = setTimeout(() => { done() }, 1000).unref()
    process.stdout.once('drain', () => {
      clearTimeout(timer)
      done()
    })
  }

  /** At exit: what is pending, written as far as the descriptor takes it now. */
  flushSync (): void {
    const batch = this.pending
    this.pending = ''
    if (batch === '') return
    try { writeSync(this.fd, batch) } catch { /* stdout gone or full: nothing to do at exit */ }
  }

  private readonly flushTurn = (): void => {
    this.scheduled = false
    this.flush()
  }

  private writeOut (lines: string): void {
    const carried = this.dropped
    const batch = carried === 0
      ? lines
      : `{"level":40,"time":${Date.now()},"pid":${process.pid},"dropped":${carried},"msg":"log lines dropped: standard output did not take them"}\n` + lines
    if (this.direct) {
      try {
        writeSync(this.fd, batch)
        this.dropped = 0
      } catch {
        this.dropped = carried + countLines(lines)
      }
    } else if (process.stdout.writableLength > MAX_QUEUED) {
      this.dropped = carried + countLines(lines)
    } else {
      process.stdout.write(batch)
      this.dropped = 0
    }
  }
}

function countLines (text: string): number {
  let n = 0
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++
  return n
}
