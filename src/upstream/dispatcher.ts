// The connection pool of one target, by the upstream's `protocol`: undici's Pool for
// HTTP/1.1 (one request per connection at a time, pipelining off), node:http2
// sessions for h2 (TLS, ALPN) and h2c (cleartext, prior knowledge); see
// h2-dispatcher.ts for why undici's HTTP/2 client is not used there.
import { Pool, type Dispatcher } from 'undici'
import type { ConnectionOptions } from 'node:tls'
import type { UpstreamConfig } from '../config/schema.js'
import { Http2Dispatcher } from './h2-dispatcher.js'

export function targetDispatcher (origin: string, protocol: UpstreamConfig['protocol'], pool: UpstreamConfig['pool'], connect: Readonly<ConnectionOptions & { timeout: number }>): Dispatcher {
  if (protocol !== 'http1') return new Http2Dispatcher(origin, { connections: pool.connections, keepAlive: pool.keepAlive, connect })
  return new Pool(origin, {
    connections: pool.connections,
    keepAliveTimeout: pool.keepAlive,
    keepAliveMaxTimeout: Math.max(pool.keepAlive, 1000),
    connect,
    pipelining: 1
  })
}
