// One health probe of a target: resolves true when it passed, false otherwise; never
// rejects. HTTP probes go over their own small client (never the traffic pool, where
// a busy target would make the probe queue behind real requests) on a fresh
// connection each time, so a target that stops accepting connections fails its check.
import { connect } from 'node:net'
import type { ConnectionOptions } from 'node:tls'
import { Client } from 'undici'
import type { HealthCheckConfig } from './types.js'
import { statusMatcher } from './status-ranges.js'
import { grpcProbe } from './grpc-probe.js'

export interface Probe {
  /** One check; `signal` aborts it (timeout or shutdown). */
  run (signal: AbortSignal): Promise<boolean>
  close (): void
}

/** `tls`: the upstream's TLS settings, for https:// origins (an HTTP probe verifies as traffic does). */
export function probeFor (origin: string, config: HealthCheckConfig, tls?: Readonly<ConnectionOptions>): Probe {
  if (config.type === 'grpc') return grpcProbe(origin, config, tls)
  return config.type === 'tcp' ? tcpProbe(origin, config) : httpProbe(origin, config, tls)
}

function httpProbe (origin: string, config: HealthCheckConfig, tls: Readonly<ConnectionOptions> | undefined): Probe {
  const client = new Client(origin, { connect: { timeout: config.timeout, ...tls }, pipelining: 1 })
  const expected = statusMatcher(config.expectStatus)
  return {
    async run (signal) {
      try {
        const response = await client.request({
          origin,
          path: config.path,
          method: 'GET',
          signal,
          reset: true,
          headers: { 'user-agent': 'turnpike-health-check' }
        })
        await response.body.dump()
        return expected(response.statusCode)
      } catch {
        return false
      }
    },
    close () {
      client.destroy().catch(() => undefined)
    }
  }
}

function tcpProbe (origin: string, config: HealthCheckConfig): Probe {
  const url = new URL(origin)
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port)
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  return {
    async run (signal) {
      return await new Promise<boolean>((resolve) => {
        const socket = connect({ host, port, signal, timeout: config.timeout })
        const done = (ok: boolean): void => {
          socket.destroy()
          resolve(ok)
        }
        socket.once('connect', () => { done(true) })
        socket.once('timeout', () => { done(false) })
        socket.once('error', () => { done(false) })
      })
    },
    close () {}
  }
}
