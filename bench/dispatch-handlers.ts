// A micro-benchmark behind the mirror's choice of handler (src/proxy/mirror.ts): the CPU
// of one undici Pool request whose answer is dropped, through undici's newer handler
// callbacks (onRequestStart … onResponseEnd, which undici drives through an adapter)
// and through its native ones (onConnect … onComplete). 50 requests in flight, 30,000
// per measurement, four rounds (the first warms up); the backend runs on CPU 0, run
// this on CPU 1: `taskset -c 1 node --import tsx bench/dispatch-handlers.ts`.
import { spawn } from 'node:child_process'
import { Pool, type Dispatcher } from 'undici'

const REQUESTS = 30_000
const IN_FLIGHT = 50

class NewerCallbacks implements Dispatcher.DispatchHandler {
  constructor (private readonly done: () => void) {}
  onRequestStart (): void {}
  onResponseStart (): void {}
  onResponseData (): void {}
  onResponseEnd (): void { this.done() }
  onResponseError (): void { this.done() }
}

class NativeCallbacks implements Dispatcher.DispatchHandler {
  constructor (private readonly done: () => void) {}
  onConnect (): void {}
  onHeaders (): boolean { return true }
  onData (): boolean { return true }
  onComplete (): void { this.done() }
  onError (): void { this.done() }
}

async function measure (pool: Pool, host: string, make: (done: () => void) => Dispatcher.DispatchHandler): Promise<number> {
  let sent = 0
  let finished = 0
  const started = process.cpuUsage()
  await new Promise<void>((resolve) => {
    const send = (): void => {
      sent++
      // The headers a gateway sends upstream, built per request as the mirror does.
      const headers = { host, 'user-agent': 'wrk', accept: '*/*', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': '127.0.0.1:8080', 'x-request-id': `r-${sent}`, 'x-gateway': 'turnpike' }
      pool.dispatch({ path: '/hello', method: 'GET', headers, body: null, headersTimeout: 30_000, bodyTimeout: 30_000 }, make(done))
    }
    const done = (): void => {
      if (++finished === REQUESTS) resolve()
      else if (sent < REQUESTS) send()
    }
    for (let i = 0; i < IN_FLIGHT; i++) send()
  })
  const used = process.cpuUsage(started)
  return (used.user + used.system) / REQUESTS
}

async function main (): Promise<void> {
  const backend = spawn('taskset', ['-c', '0', process.execPath, '--import', 'tsx', 'bench/backend.ts'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<string>((resolve) => backend.stdout?.on('data', (d: Buffer) => {
    const m = /listening (\d+)/.exec(String(d))
    if (m !== null) resolve(m[1] as string)
  }))
  const host = `127.0.0.2:${port}`
  const pool = new Pool(`http://${host}`, { connections: 10, pipelining: 1 })
  for (let round = 0; round < 4; round++) {
    const newer = await measure(pool, host, (done) => new NewerCallbacks(done))
    const native = await measure(pool, host, (done) => new NativeCallbacks(done))
    console.log(`round ${round}${round === 0 ? ' (warm-up)' : ''}: newer callbacks ${newer.toFixed(1)} µs/req, native ${native.toFixed(1)} µs/req`)
  }
  await pool.close()
  backend.kill('SIGTERM')
}

await main()
