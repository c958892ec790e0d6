// A dependency-free backend for the demo and for trying routes by hand: it tells you
// what actually reached it (method, rewritten URL, headers the gateway set or removed,
// body size), which is the question you have when a route does not do what you expect.
//
//   node --import tsx examples/echo-server.ts --port 9001 --name a
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

export interface EchoServerOptions {
  port?: number
  host?: string
  name?: string
}

export interface EchoServer {
  url: string
  port: number
  close(): Promise<void>
}

const SSE_EVENTS = 5
const SSE_INTERVAL_MS = 200
// A typo like /delay/99999999 should not hold a socket for days.
const MAX_DELAY_MS = 60_000

function sendJson (res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) })
  res.end(payload)
}

/** Counts the body instead of keeping it: uploads of any size cost no memory. */
function countBody (req: IncomingMessage): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0
    req.on('data', (chunk: Buffer) => { bytes += chunk.length })
    req.on('end', () => resolve(bytes))
    req.on('error', reject)
  })
}

function streamEvents (name: string, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
  let sent = 0
  const timer = setInterval(() => {
    sent += 1
    res.write(`id: ${sent}\nevent: tick\ndata: ${JSON.stringify({ name, n: sent, at: new Date().toISOString() })}\n\n`)
    if (sent >= SSE_EVENTS) {
      clearInterval(timer)
      res.end()
    }
  }, SSE_INTERVAL_MS)
  // The client may hang up mid-stream; a live interval would then write into a dead socket.
  res.on('close', () => clearInterval(timer))
}

function delay (ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(true), ms)
    res.on('close', () => { clearTimeout(timer); resolve(false) })
  })
}

async function handle (name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const bodyBytes = await countBody(req)
  const path = (req.url ?? '/').split('?')[0] ?? '/'
  if (req.method === 'GET' && path === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('ok')
    return
  }
  if (req.method === 'GET' && path === '/sse') {
    streamEvents(name, res)
    return
  }
  const delayMatch = /^\/delay\/(\d+)$/.exec(path)
  if (delayMatch) {
    const ms = Math.min(Number(delayMatch[1]), MAX_DELAY_MS)
    if (!(await delay(ms, res))) return
  }
  sendJson(res, 200, { name, method: req.method, url: req.url, headers: req.headers, bodyBytes })
}

export function startEchoServer (opts: EchoServerOptions = {}): Promise<EchoServer> {
  const host = opts.host ?? '127.0.0.1'
  const name = opts.name ?? 'echo'
  const server = createServer((req, res) => {
    handle(name, req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { name, error: String(err) })
      else res.destroy()
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject)
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      const urlHost = host.includes(':') ? `[${host}]` : host
      resolve({
        url: `http://${urlHost}:${port}`,
        port,
        close: () => new Promise<void>((done) => {
          // Keep-alive sockets (the gateway's pool) would otherwise keep close() waiting.
          server.closeAllConnections()
          server.close(() => done())
        })
      })
    })
  })
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '9001' },
      host: { type: 'string', default: '127.0.0.1' },
      name: { type: 'string', default: 'echo' }
    }
  })
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port: ${values.port}`)
  const echo = await startEchoServer({ port, host: values.host, name: values.name })
  console.log(`echo server "${values.name}" listening on ${echo.url}`)
  const stop = (): void => { echo.close().then(() => process.exit(0), () => process.exit(1)) }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

const entry = process.argv[1]
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(1)
  })
}
