// How the gateway opens its Redis connection (ioredis) in each of the three modes.
//
// The options keep every queue bounded while Redis is unreachable or stalled:
// - no offline queue: a command while disconnected fails at once instead of waiting;
// - no retries and no resend of unanswered commands after a reconnect;
// - socketTimeout: a connection that has a command written and gets no byte back for
//   that long (a SIGSTOPped server, a partition, a fork on a large dataset) is dropped,
//   which rejects every reply still pending on it. A command timeout alone would not
//   do: ioredis keeps a timed-out command in its queue until its reply arrives, so on
//   a stalled socket the pending replies would grow with every command sent.
// How long a request waits is not set here but by the link (redis.timeout per request).
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis'

/** No byte back for this long with a command pending: the connection is dropped and made again. */
export const SOCKET_TIMEOUT_MS = 2000

const BOUNDED: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  connectTimeout: 2000,
  socketTimeout: SOCKET_TIMEOUT_MS,
  retryStrategy: (times) => Math.min(times * 200, 5000),
  lazyConnect: false
}

/**
 * A Cluster retries a command through redirections and CLUSTERDOWN for up to
 * maxRedirections × retry delay; fewer tries keep a command against a dead master from
 * being held for seconds (the request itself stopped waiting after its budget).
 */
const CLUSTER: ClusterOptions = {
  enableOfflineQueue: false,
  maxRedirections: 4,
  retryDelayOnClusterDown: 100,
  retryDelayOnFailover: 100,
  retryDelayOnTryAgain: 100,
  clusterRetryStrategy: (times) => Math.min(times * 200, 5000)
}

export type RedisClient = Redis | Cluster

/**
 * `redis.url` forms: `redis://…` / `rediss://…` (standalone), `cluster:URL,URL,…`
 * (Redis Cluster seed nodes), `sentinels:MASTER@HOST:PORT,HOST:PORT,…` (Sentinel).
 */
export function connect (url: string, options: RedisOptions = {}): RedisClient {
  const merged = { ...BOUNDED, ...options }
  if (url.startsWith('cluster:')) {
    const nodes = url.slice('cluster:'.length).split(',').map((u) => {
      const parsed = new URL(u.trim())
      return { host: parsed.hostname, port: Number(parsed.port || 6379) }
    })
    return new Cluster(nodes, { ...CLUSTER, redisOptions: merged })
  }
  if (url.startsWith('sentinels:')) {
    const spec = url.slice('sentinels:'.length)
    const at = spec.indexOf('@')
    const name = spec.slice(0, at)
    const sentinels = spec.slice(at + 1).split(',').map((hp) => {
      const [host = '', port = '26379'] = hp.trim().split(':')
      return { host, port: Number(port) }
    })
    return new Redis({ ...merged, name, sentinels })
  }
  return new Redis(url, merged)
}

/** Replies ioredis still waits for (its command queues, summed over Cluster nodes): what a stall would grow. */
export function queuedCommands (client: RedisClient): number {
  const nodes = client instanceof Cluster ? client.nodes() : [client]
  let queued = 0
  for (const node of nodes) queued += node.commandQueue.length
  return queued
}
