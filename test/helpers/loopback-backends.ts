// HTTP backends on 127.0.0.2, 127.0.0.3 … all on one port, as the pods behind one
// headless Service are: DNS then decides which of them an upstream has. Each answers
// with its own address in `x-backend`, and /health with 200 unless told to fail.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface LoopbackBackend {
  readonly ip: string
  readonly server: Server
  /** Requests seen (health checks not counted). */
  hits: number
  healthy: boolean
}

export interface LoopbackFleet {
  readonly port: number
  readonly backends: LoopbackBackend[]
  close (): Promise<void>
}

export type Answer = (req: IncomingMessage, res: ServerResponse, backend: LoopbackBackend) => void

const plain: Answer = (_req, res, backend) => { res.writeHead(200, { 'x-backend': backend.ip }).end(backend.ip) }

export async function startFleet (count: number, answer: Answer = plain): Promise<LoopbackFleet> {
  const backends: LoopbackBackend[] = []
  let port = 0
  for (let i = 0; i < count; i++) {
    const ip = `127.0.0.${i + 2}`
    const backend: LoopbackBackend = { ip, server: undefined as unknown as Server, hits: 0, healthy: true }
    const server = createServer((req, res) => {
      if (req.url === '/health') {
        res.writeHead(backend.healthy ? 200 : 503).end()
        return
      }
      backend.hits++
      answer(req, res, backend)
    })
    Object.assign(backend, { server })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, ip, () => { resolve() })
    })
    port = (server.address() as AddressInfo).port
    backends.push(backend)
  }
  return {
    port,
    backends,
    async close () {
      await Promise.all(backends.map(async (b) => {
        b.server.closeAllConnections()
        await new Promise<void>((resolve) => b.server.close(() => { resolve() }))
      }))
    }
  }
}
