// A cluster worker: the data plane only. It takes its config from the primary (which
// loaded and validated it once), serves on the shared port, builds each new generation
// when the primary asks and switches only on the primary's word, and drains when told
// to. It runs no admin server, no file watcher and no active health checks.
import process from 'node:process'
import { deepFreeze } from '../config/finalize.js'
import type { LoadedConfig } from '../config/load.js'
import type { GatewayConfig } from '../config/schema.js'
import type { Change } from '../ip-rules/lists.js'
import { createLogging } from '../logger.js'
import { digest, Gateway } from '../server.js'
import type { Generation } from '../generation.js'
import { buildStats } from '../stats/snapshot.js'
import { IpcRoutes, processPort } from './ipc.js'
import type { Verdict } from './primary-health.js'
import { KIND, type ConfigMessage, type Hello, type WorkerStats } from './protocol.js'
import { SharedClient } from './shared-client.js'
import { SharedConnectionLedger } from './shared-connections.js'
import { SLOT_ENV } from './supervisor.js'

const loadedFrom = (m: ConfigMessage): LoadedConfig => Object.freeze({ file: m.file, text: m.text, config: deepFreeze(m.config) })

export async function runWorker (): Promise<number> {
  const slot = Number(process.env[SLOT_ENV] ?? 0)
  const routes = new IpcRoutes()
  const primary = routes.endpoint(processPort)
  const verdicts = new Map<string, boolean>()
  let gateway: Gateway | null = null
  let pending: Generation | null = null

  routes.listen<Verdict>(KIND.health, (v) => {
    verdicts.set(`${v.upstream}\u0000${v.origin}`, v.healthy)
    gateway?.registry.health.setVerdict(v.upstream, v.origin, v.healthy)
  })
  // A request, not a cast: the admin call that changed a rule answers once every worker has it.
  routes.handle<Array<[string, Change]>, boolean>(KIND.ipRules, (changes) => {
    gateway?.edge.ipRules.replace(new Map(changes))
    return true
  })

  const hello = await primary.request<Hello>(KIND.hello, { pid: process.pid }, 30_000)
  for (const v of hello.verdicts) verdicts.set(`${v.upstream}\u0000${v.origin}`, v.healthy)
  const loaded = loadedFrom(hello.loaded)
  // The upstreams whose targets the primary checks: the listed ones, in the config being built.
  let listed = listedUpstreams(loaded.config)
  const logging = createLogging(loaded.config.logging)
  const logger = logging.logger.child({ worker: slot })
  const gw = new Gateway(loaded.file, loaded, logger, {
    admin: false,
    remoteHealth: {
      verdict: (upstream, origin) => verdicts.get(`${upstream}\u0000${origin}`),
      covers: (upstream) => listed.has(upstream)
    },
    shared: new SharedClient(primary, routes),
    connectionLedger: new SharedConnectionLedger(primary, routes),
    firstGeneration: hello.generation,
    logSink: logging.sink
  })
  gateway = gw
  gw.edge.ipRules.replace(new Map(hello.ipRules))

  routes.handle<ConfigMessage, { generation: number }>(KIND.prepare, async (m) => {
    if (pending !== null) await gw.discard(pending)
    pending = null
    const next = loadedFrom(m)
    const before = listed
    listed = listedUpstreams(next.config)
    try {
      pending = await gw.prepare(next)
    } catch (err) {
      listed = before
      throw err
    }
    logger.info({ generation: pending.id }, 'worker built the new generation; waiting for the others')
    return { generation: pending.id }
  })
  routes.handle(KIND.commit, () => {
    if (pending === null) throw new Error('no prepared generation to switch to')
    gw.swap(pending)
    pending = null
    logger.info({ generation: gw.generation.id }, 'worker switched to the new generation')
    return { generation: gw.generation.id }
  })
  routes.handle(KIND.discard, async () => {
    listed = listedUpstreams(gw.generation.config)
    if (pending !== null) await gw.discard(pending)
    pending = null
    return true
  })
  routes.handle(KIND.stats, async (): Promise<WorkerStats> => ({ stats: await buildStats(gw), counts: gw.stats.counts() }))
  routes.handle(KIND.backends, async () => await gw.backends())
  // The primary's admin server reports this gateway's metrics, labelled with the worker.
  routes.handle(KIND.metrics, async () => await gw.metrics.registry.getMetricsAsJSON())

  let stopping: Promise<void> | null = null
  const stop = async (reason: string): Promise<void> => {
    stopping ??= gw.shutdown(reason)
    await stopping
  }
  const stopped = new Promise<number>((resolve) => {
    const done = (reason: string): void => { stop(reason).then(() => { resolve(0) }, () => { resolve(1) }) }
    routes.handle(KIND.stopAccepting, () => {
      gw.stopAccepting()
      return true
    })
    routes.handle(KIND.drain, () => {
      done('primary asked to drain')
      return true
    })
    // The primary went away without a word (it was killed): nothing will supervise us.
    process.once('disconnect', () => { done('primary disconnected') })
    // SIGTERM sent to a worker alone drains it; the primary then replaces it.
    process.once('SIGTERM', () => { done('SIGTERM') })
  })
  // Ctrl-C reaches the whole process group: the primary drains everyone, in order.
  process.on('SIGINT', () => undefined)
  process.on('SIGHUP', () => undefined)

  await gw.start({ watch: false, watchCertificates: true })
  primary.cast(KIND.ready, { listen: gw.dataAddress, generation: gw.generation.id, digest: digest(loaded.text) })
  return await stopped
}

function listedUpstreams (config: Readonly<GatewayConfig>): Set<string> {
  return new Set(Object.entries(config.upstreams).filter(([, u]) => u.targets !== undefined).map(([name]) => name))
}
