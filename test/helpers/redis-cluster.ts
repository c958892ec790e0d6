// A private three-master Redis Cluster on 127.0.0.1 for a test that kills one master:
// three redis-server processes made one cluster with `redis-cli --cluster create`.
// A node's cluster bus is its port + 10000, so ports are picked where both are free.
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { startPrivateRedis, type PrivateRedis } from './redis-server.js'

const run = promisify(execFile)

async function isFree (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => { resolve(false) })
    server.listen(port, '127.0.0.1', () => { server.close(() => { resolve(true) }) })
  })
}

/** A port p with p and p + 10000 free, in 20000–55000. */
async function clusterPort (taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 35_000)
    if (!taken.has(port) && await isFree(port) && await isFree(port + 10_000)) return port
  }
  throw new Error('no free port pair for a cluster node')
}

export interface PrivateCluster {
  /** The `redis.url` for the gateway: `cluster:redis://…,…`. */
  readonly url: string
  readonly nodes: PrivateRedis[]
  /** The node serving `key`'s slot. */
  masterFor (key: string): Promise<PrivateRedis>
  /** Starts node `index` again (same port, same nodes.conf) after it was killed. */
  restart (index: number): Promise<void>
  /** Resolves once every live node reports cluster_state:ok (bounded by `ms`). */
  healthy (ms?: number): Promise<void>
  close (): Promise<void>
}

async function clusterState (port: number): Promise<string> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  try {
    await client.connect()
    const info = await client.cluster('INFO') as string
    return /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown'
  } catch {
    return 'unreachable'
  } finally {
    client.disconnect()
  }
}

export async function startPrivateCluster (): Promise<PrivateCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-cluster-'))
  const taken = new Set<number>()
  const ports: number[] = []
  for (let i = 0; i < 3; i++) {
    const port = await clusterPort(taken)
    taken.add(port)
    ports.push(port)
  }
  const argsFor = (port: number): string[] => ['--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, `nodes-${port}.conf`),
    '--cluster-node-timeout', '1000', '--dir', dir]
  const nodes: PrivateRedis[] = []
  for (const port of ports) nodes.push(await startPrivateRedis(port, argsFor(port)))
  await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes'])

  const cluster: PrivateCluster = {
    url: 'cluster:' + ports.map((p) => `redis://127.0.0.1:${p}`).join(','),
    nodes,
    async masterFor (key) {
      const probe = new Redis({ port: ports[0], host: '127.0.0.1', maxRetriesPerRequest: 0 })
      try {
        const slot = await probe.cluster('KEYSLOT', key) as number
        const slots = await probe.cluster('SLOTS')
        const owner = slots.find(([from, to]) => slot >= from && slot <= to)
        const index = ports.indexOf(owner?.[2]?.[1] ?? -1)
        if (index < 0) throw new Error(`no master for slot ${slot}`)
        return nodes[index] as PrivateRedis
      } finally {
        probe.disconnect()
      }
    },
    async restart (index) {
      const port = ports[index] as number
      nodes[index] = await startPrivateRedis(port, argsFor(port))
    },
    async healthy (ms = 20_000) {
      const until = Date.now() + ms
      while (Date.now() < until) {
        const states = await Promise.all(ports.map(clusterState))
        if (states.every((s) => s === 'ok')) return
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      throw new Error('the cluster did not report cluster_state:ok')
    },
    async close () {
      for (const node of nodes) await node.kill()
      await rm(dir, { recursive: true, force: true })
    }
  }
  await cluster.healthy()
  return cluster
}
