// The connection pool of one target, by the upstream's `protocol`. All three are
// undici: its Pool multiplexes HTTP/2 streams on a connection (`allowH2`, ALPN over
// TLS; H2CClient, prior knowledge in cleartext), receives HTTP/2
// trailers (relayed to gRPC clients) and keeps the dispatch-handler API that the
// forwarding path and its relay are written on, so node:http2 is not needed here.
// What undici does not do (it cannot send request trailers) gRPC clients never use.
import { H2CClient, Pool, type Dispatcher } from 'undici'
import type { ConnectionOptions } from 'node:tls'
import type { UpstreamConfig } from '../config/schema.js'

/** Streams undici puts on one HTTP/2 connection before it opens another (Node's and nginx's default limits are 100 and 128). */
export const STREAMS_PER_CONNECTION = 100

export function targetDispatcher (origin: string, protocol: UpstreamConfig['protocol'], pool: UpstreamConfig['pool'], connect: Readonly<ConnectionOptions & { timeout: number }>): Dispatcher {
  const common = {
    connections: pool.connections,
    keepAliveTimeout: pool.keepAlive,
    keepAliveMaxTimeout: Math.max(pool.keepAlive, 1000)
  }
  if (protocol === 'http1') return new Pool(origin, { ...common, connect, pipelining: 1 })
  if (protocol === 'h2') {
    return new Pool(origin, { ...common, connect, allowH2: true, pipelining: STREAMS_PER_CONNECTION, maxConcurrentStreams: STREAMS_PER_CONNECTION })
  }
  // h2c: Pool builds its connector without `useH2c`, so each client is undici's
  // H2CClient, which builds its own with it.
  return new Pool(origin, {
    ...common,
    factory: (o) => new H2CClient(o, {
      keepAliveTimeout: common.keepAliveTimeout,
      keepAliveMaxTimeout: common.keepAliveMaxTimeout,
      connect,
      pipelining: STREAMS_PER_CONNECTION,
      maxConcurrentStreams: STREAMS_PER_CONNECTION
    }) as unknown as Dispatcher
  })
}
