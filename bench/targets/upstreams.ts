// Variants for discovery and mirroring: a hundred targets listed in the config against
// the same hundred found by DNS and looked up again every second (a DNS server in the
// bench process answers), and the single route with every request mirrored.
import { startDnsServer, type DnsServer } from '../../test/helpers/dns-server.js'
import { singleRoute, type TurnpikeConfig } from './turnpike.js'

const HUNDRED = Array.from({ length: 100 }, (_, i) => `127.0.1.${i + 1}`)

/** The route over the backend's hundred aliases, listed one by one. */
export const hundredStatic: TurnpikeConfig = async (ctx, ports) => {
  const port = new URL(ctx.backendUrl).port
  return (await singleRoute(ctx, ports)).replace(/ {4}targets:\n {6}- url: .*\n/,
    `    targets:\n${HUNDRED.map((ip) => `      - url: http://${ip}:${port}\n`).join('')}`)
}

/**
 * The same hundred from A records of one name, refreshed every second. Each call makes
 * one variant with its own DNS server, started with the gateway and kept for the run.
 */
export function hundredDiscovered (): TurnpikeConfig {
  let dns: Promise<DnsServer> | undefined
  return async (ctx, ports) => {
    const port = new URL(ctx.backendUrl).port
    dns ??= startDnsServer().then((server) => {
      server.zones.set('backend.bench.test', { A: HUNDRED })
      return server
    })
    const server = await dns
    return (await singleRoute(ctx, ports)).replace(/ {4}targets:\n {6}- url: .*\n/,
      `    discovery: { dns: backend.bench.test, port: ${port}, resolver: "${server.address}", refresh: 1s }\n`)
  }
}

/** The single route with every request copied to a second upstream (the same backend on 127.0.0.2). */
export const mirroredRoute: TurnpikeConfig = async (ctx, ports) => {
  const port = new URL(ctx.backendUrl).port
  return (await singleRoute(ctx, ports))
    .replace('routes:\n', `  shadow:\n    targets:\n      - url: http://127.0.0.2:${port}\nroutes:\n`)
    .replace('    stripPrefix: true\n', '    stripPrefix: true\n    mirror: { upstream: shadow, percent: 100, maxInFlight: 256 }\n')
}
