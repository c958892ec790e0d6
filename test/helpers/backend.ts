// A real HTTP backend on an ephemeral port that records what reached it.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface SeenRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  rawHeaders: string[]
  bodyBytes: number
}

export interface Backend {
  readonly url: string
  readonly port: number
  readonly server: Server
  readonly seen: SeenRequest[]
  close (): Promise<void>
}

export type Handler = (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void

/** The default answer: JSON echo of what arrived. */
export const echo: Handler = (_req, res, seen) => {
  const body = JSON.stringify(seen)
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

export async function startBackend (handler: Handler = echo): Promise<Backend> {
  const seen: SeenRequest[] = []
  const server = createServer((req, res) => {
    const record: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, bodyBytes: 0 }
    seen.push(record)
    if (handler !== echo) {
      handler(req, res, record)
      return
    }
    req.on('data', (chunk: Buffer) => { record.bodyBytes += chunk.length })
    req.on('end', () => { handler(req, res, record) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    seen,
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  }
}
