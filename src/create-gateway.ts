// The gateway embedded in a program: `createGateway({ configPath } | { config })` is the
// same Gateway `turnpike start` runs (the same config pipeline, plugins, listeners and
// admin server), in the program's own process. The program owns signals and exit codes;
// start() throws what `turnpike start` would print and exit 1 on.
import path from 'node:path'
import type { Logger } from 'pino'
import { workerCount } from './cluster/cpu-count.js'
import { loadConfigFile, parseConfigText, type LoadedConfig } from './config/load.js'
import type { GatewayConfigInput } from './config/schema.js'
import { createLogging } from './logger.js'
import { Gateway, type ReloadResult } from './server.js'
import { StartError } from './start-error.js'
import { withUserPlugins } from './user-plugins/check.js'

interface CommonOptions {
  /** Default: a logger made from the config's `logging` section, as `turnpike start` makes it. */
  readonly logger?: Logger
}

export type CreateGatewayOptions =
  | CommonOptions & {
    /** A gateway.yaml; relative paths in it are relative to it. */
    readonly configPath: string
    /** Reload when the file changes, as `turnpike start` does (default true). */
    readonly watch?: boolean
  }
  | CommonOptions & {
    /** The config as gateway.yaml would hold it (durations and sizes as strings). */
    readonly config: GatewayConfigInput | Record<string, unknown>
    /** What relative paths in the config (plugin modules, TLS files) are relative to; default process.cwd(). */
    readonly baseDir?: string
  }

export interface GatewayPorts {
  /** The data plane's port (the one chosen when `server.port` is 0). */
  readonly server: number
  readonly admin: number
}

export interface EmbeddedGateway {
  /** Loads the config and its plugins, listens; rejects with a ConfigError or StartError. */
  start (): Promise<void>
  /**
   * configPath: re-reads the file and the plugins' code. config: builds `next` (default:
   * the same config, with the plugins' code loaded afresh). The running config stays on failure.
   */
  reload (next?: GatewayConfigInput | Record<string, unknown>): Promise<ReloadResult>
  /** Drains and stops, as SIGTERM does `turnpike start`. */
  close (): Promise<void>
  /** Available once start() resolved. */
  readonly ports: GatewayPorts
}

export function createGateway (options: CreateGatewayOptions): EmbeddedGateway {
  let gateway: Gateway | null = null
  const running = (): Gateway => {
    if (gateway === null) throw new Error('the gateway is not started: await start() first')
    return gateway
  }
  const inline = 'config' in options ? options : null
  const file = inline === null ? path.resolve((options as { configPath: string }).configPath) : path.join(inline.baseDir ?? process.cwd(), '<config>')
  // The inline config goes through the file's pipeline as JSON text (JSON is YAML), so
  // its problems carry key paths and positions like a file's.
  const loadInline = async (config: object): Promise<LoadedConfig> => await withUserPlugins(parseConfigText(JSON.stringify(config, null, 2), file))
  let lastInline: object | null = inline?.config ?? null

  return {
    async start () {
      if (gateway !== null) throw new Error('the gateway is already started')
      const loaded = lastInline === null ? await loadConfigFile(file) : await loadInline(lastInline)
      if (workerCount(loaded.config.server.workers) > 1) {
        throw new StartError('createGateway runs the gateway in this process: server.workers must be 1 (`turnpike start` runs workers)')
      }
      const logging = options.logger === undefined ? createLogging(loaded.config.logging) : { logger: options.logger, sink: null }
      const next = new Gateway(file, loaded, logging.logger, { logSink: logging.sink })
      await next.start({ watch: inline === null && (options as { watch?: boolean }).watch !== false })
      gateway = next
    },
    async reload (nextConfig) {
      const gw = running()
      if (inline === null) return await gw.reload('createGateway reload', true)
      const at = new Date().toISOString()
      let prepared
      try {
        prepared = await gw.prepare(await loadInline(nextConfig ?? (lastInline as object)))
      } catch (err) {
        return { result: 'failure', at, generation: gw.generation.id, error: err instanceof Error ? err.message : String(err) }
      }
      gw.swap(prepared)
      if (nextConfig !== undefined) lastInline = nextConfig
      return { result: 'success', at, generation: prepared.id }
    },
    async close () {
      await gateway?.shutdown('close')
      gateway = null
    },
    get ports () {
      const gw = running()
      return { server: gw.dataAddress.port, admin: gw.adminAddress.port }
    }
  }
}
