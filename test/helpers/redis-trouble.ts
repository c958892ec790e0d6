// What the Redis-trouble tests share: a gateway config that uses Redis for a DDoS
// check, a rate limit and a cache, a timed request, and the check that two gateways on
// one Redis enforce one limit.
import { performance } from 'node:perf_hooks'
import { randomUUID } from 'node:crypto'
import pino, { type Logger } from 'pino'
import { request } from 'undici'
import type { TestGateway } from './gateway.js'

export const LIMIT = 10

/** redis.timeout of these tests: a stalled call is told apart from a normal answer by it. */
export const TIMEOUT_MS = 100

export function troubleConfig (backendUrl: string, redisUrl: string, prefix: string): string {
  return `server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0, token: test-token }
logging: { level: info, accessLog: false }
redis: { url: "${redisUrl}", keyPrefix: "${prefix}", timeout: ${TIMEOUT_MS}ms }
security: { ddos: { threshold: 1000000, window: 1m, blockFor: 1m } }
upstreams: { app: { targets: [{ url: "${backendUrl}" }] } }
routes:
  - { name: limited, match: { path: /limited }, upstream: app, rateLimit: { max: ${LIMIT}, window: 1h, keyBy: "header:x-client" } }
  - { name: cached, match: { path: /cached }, upstream: app, cache: { ttl: 60s } }
`
}

export function prefixFor (name: string): string {
  return `t-${name}-${randomUUID().slice(0, 8)}:`
}

export interface LogLine { level: number, msg: string }

/** A logger that keeps every line, for asserting what was logged. */
export function capturingLogger (lines: LogLine[]): Logger {
  return pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line) as LogLine) } })
}

export async function timedGet (gw: TestGateway, path: string, headers: Record<string, string> = {}): Promise<{ status: number, ms: number }> {
  const started = performance.now()
  const response = await request(gw.url + path, { headers })
  await response.body.dump()
  return { status: response.statusCode, ms: performance.now() - started }
}

/**
 * True once a fresh client's LIMIT + 4 requests, alternating between `a` and `b`,
 * admit exactly LIMIT: both count in Redis again. Asks anew (a new client each time)
 * until then, within `ms`.
 */
export async function sharesOneLimit (a: TestGateway, b: TestGateway, ms = 15_000): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    const client = randomUUID()
    let passed = 0
    for (let i = 0; i < LIMIT + 4; i++) {
      const { status } = await timedGet(i % 2 === 0 ? a : b, '/limited', { 'x-client': client })
      if (status === 200) passed++
    }
    if (passed === LIMIT) return true
  }
  return false
}
