// Which peers may tell us the client's address (server.trustProxy). One compiled
// function serves Fastify (request.ip, request.protocol, request.host) and our own
// decision to keep a peer's Forwarded / X-Forwarded-* headers.
import proxyAddr from 'proxy-addr'
import type { ServerConfig } from '../config/schema.js'

export type TrustFunction = (address: string, hop: number) => boolean

export function compileTrust (trustProxy: ServerConfig['trustProxy']): TrustFunction {
  if (trustProxy === true) return () => true
  if (trustProxy === false) return () => false
  if (typeof trustProxy === 'number') return (_address, hop) => hop < trustProxy
  return proxyAddr.compile(trustProxy)
}
