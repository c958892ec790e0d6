// A fixed GatewayStats and a stand-in admin server that serves it, for the `turnpike top`
// tests: the tests change the stats (or the status) and watch the dashboard follow.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { GatewayStats } from '../../src/stats/types.js'

export function sampleStats (): GatewayStats {
  return {
    version: '0.1.0',
    startedAt: '2025-01-01T00:00:00.000Z',
    uptimeSeconds: 7384,
    generation: 3,
    ready: true,
    windowSeconds: 60,
    requests: { total: 123456, rate: 42.5, errorRate: 0.012, p50: 12.3, p90: 48, p99: 230, byClass: { '2xx': 2500, '3xx': 3, '4xx': 20, '5xx': 30 } },
    connections: { active: 17, websockets: 2, counted: 0 },
    routes: [
      { name: 'orders-api', requests: 100000, rate: 40.1, errorRate: 0.01, p50: 11, p90: 40, p99: 200 },
      { name: 'static', requests: 23456, rate: 2.4, errorRate: 0, p50: 1.2, p90: 2, p99: 3 }
    ],
    upstreams: {
      orders: {
        balancer: 'round-robin',
        targets: [
          { url: 'http://orders-1.internal:8080', weight: 1, healthy: true, ejected: false, breaker: 'closed', activeRequests: 3 },
          { url: 'http://orders-2.internal:8080', weight: 1, healthy: false, ejected: false, breaker: 'open', activeRequests: 0 },
          { url: 'http://orders-3.internal:8080', weight: 2, healthy: true, ejected: true, breaker: 'half-open', activeRequests: 1 }
        ]
      }
    },
    reloads: [
      { at: '2025-01-01T02:00:00.000Z', result: 'failure', generation: 3, error: 'gateway.yaml:4:3 routes.0.upstream: unknown upstream "x"' },
      { at: '2025-01-01T01:00:00.000Z', result: 'success', generation: 3 }
    ],
    redis: { url: 'redis://redis.internal:6379', state: 'closed', since: '2025-01-01T00:00:00.000Z', connection: 'ready', timeoutMs: 50, consecutiveFailures: 0, inFlight: 0, lastError: '' },
    policies: { rateLimited: 12, blocked: 4, connectionsRefused: 0, cache: { hit: 300, miss: 100, bypass: 7 } }
  }
}

export interface FakeAdmin {
  readonly url: string
  /** What GET /stats answers next: a GatewayStats as JSON, or an error status. */
  answer: { status: 200, stats: GatewayStats } | { status: number, body: string }
  /** The Authorization headers GET /stats received, in order. */
  readonly authorizations: Array<string | undefined>
  close (): Promise<void>
}

/** `port` 0 picks a free one; a given port brings a stopped stand-in back where it was. */
export async function startFakeAdmin (stats: GatewayStats = sampleStats(), port = 0): Promise<FakeAdmin> {
  const fake = {
    answer: { status: 200, stats } as FakeAdmin['answer'],
    authorizations: [] as Array<string | undefined>
  }
  const server = http.createServer((req, res) => {
    if (req.url !== '/stats') {
      res.writeHead(404).end()
      return
    }
    fake.authorizations.push(req.headers.authorization)
    const a = fake.answer
    res.writeHead(a.status, { 'content-type': 'application/json' })
    res.end('stats' in a ? JSON.stringify(a.stats) : a.body)
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return Object.assign(fake, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  })
}
