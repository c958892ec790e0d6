// A private Sentinel setup on 127.0.0.1 for a test that kills the master: a master, a
// replica of it, and one Sentinel (quorum 1, down after 1 s) that fails over to the
// replica. Only these processes are ever killed, by PID.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { freePort } from './free-port.js'
import { startPrivateRedis, type PrivateRedis } from './redis-server.js'

export const MASTER_NAME = 'turnpike-test'

export interface PrivateSentinel {
  /** The `redis.url` for the gateway: `sentinels:NAME@127.0.0.1:PORT`. */
  readonly url: string
  readonly master: PrivateRedis
  readonly replica: PrivateRedis
  /** Resolves once the Sentinel names the replica's port as the master (bounded by `ms`). */
  failedOver (ms?: number): Promise<void>
  close (): Promise<void>
}

async function until (what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`never happened: ${what}`)
}

export async function startPrivateSentinel (): Promise<PrivateSentinel> {
  const master = await startPrivateRedis()
  const replica = await startPrivateRedis(undefined, ['--replicaof', '127.0.0.1', String(master.port)])
  const dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-sentinel-'))
  const port = await freePort()
  const conf = path.join(dir, 'sentinel.conf')
  await writeFile(conf, `port ${port}
bind 127.0.0.1
dir ${dir}
sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master.port} 1
sentinel down-after-milliseconds ${MASTER_NAME} 1000
sentinel failover-timeout ${MASTER_NAME} 5000
sentinel parallel-syncs ${MASTER_NAME} 1
`)
  const proc = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'ignore', 'inherit'] })
  const exited = once(proc, 'exit')
  const sentinel = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 100 })
  sentinel.on('error', () => {})
  const ask = async (...args: string[]): Promise<unknown> => await sentinel.call('SENTINEL', ...args)
  // The replica replicates, and the Sentinel knows it (it learns replicas from the master's INFO).
  const replicaClient = new Redis(replica.url, { maxRetriesPerRequest: 0 })
  try {
    await until('the replica in sync', 20_000, async () => /master_link_status:up/.test(await replicaClient.info('replication')))
  } finally {
    replicaClient.disconnect()
  }
  await sentinel.connect()
  await until('the Sentinel knows the replica', 30_000, async () => (await ask('REPLICAS', MASTER_NAME) as unknown[]).length === 1)

  return {
    url: `sentinels:${MASTER_NAME}@127.0.0.1:${port}`,
    master,
    replica,
    async failedOver (ms = 30_000) {
      await until('the Sentinel promoted the replica', ms, async () => {
        const [, masterPort] = await ask('GET-MASTER-ADDR-BY-NAME', MASTER_NAME) as [string, string]
        return Number(masterPort) === replica.port
      })
    },
    async close () {
      sentinel.disconnect()
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL')
        await exited
      }
      await master.kill()
      await replica.kill()
      await rm(dir, { recursive: true, force: true })
    }
  }
}
