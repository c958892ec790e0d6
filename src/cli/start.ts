// `turnpike start [-c FILE]`: load the config (search order: -c, $TURNPIKE_CONFIG,
// ./gateway.yaml, ./configs/gateway.yaml), start the gateway, and wire the signals:
// SIGHUP reloads, SIGTERM/SIGINT drain and exit 0. With `server.workers` > 1 this
// process becomes the cluster primary; the workers it forks run this command again
// and take their config from it instead of the file.
import cluster from 'node:cluster'
import { parseArgs } from 'node:util'
import { workerCount } from '../cluster/cpu-count.js'
import { ConfigError, loadConfigFile } from '../config/load.js'
import { locateConfig } from '../config/locate.js'
import { createLogging } from '../logger.js'
import { Gateway } from '../server.js'
import { StartError } from '../start-error.js'

export async function run (argv: string[]): Promise<number> {
  if (cluster.isWorker) return await (await import('../cluster/worker.js')).runWorker()
  let values
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } } }))
  } catch (err) {
    process.stderr.write(`turnpike start: ${(err as Error).message}\nusage: turnpike start [-c FILE]\n`)
    return 2
  }
  const file = locateConfig(values.config, process.env, process.cwd())
  if (file === null) {
    process.stderr.write('turnpike: no config found (tried -c/--config, $TURNPIKE_CONFIG, ./gateway.yaml, ./configs/gateway.yaml)\n')
    return 2
  }
  let loaded
  try {
    loaded = await loadConfigFile(file)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(err.message + '\n')
    return 1
  }
  const { logger, sink } = createLogging(loaded.config.logging)
  const workers = workerCount(loaded.config.server.workers)
  const gateway = workers > 1
    ? new (await import('../cluster/primary.js')).Primary(file, loaded, logger, workers)
    : new Gateway(file, loaded, logger, { logSink: sink })
  try {
    await gateway.start()
  } catch (err) {
    if (err instanceof StartError) {
      process.stderr.write(`turnpike: ${err.message}\n`)
      return 1
    }
    logger.fatal({ err }, 'turnpike could not start')
    logger.flush()
    return 1
  }
  return await new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      gateway.shutdown(signal).then(() => { resolve(0) }, (err: unknown) => {
        logger.error({ err }, 'shutdown failed')
        resolve(1)
      })
    }
    process.once('SIGTERM', () => { stop('SIGTERM') })
    process.once('SIGINT', () => { stop('SIGINT') })
    process.on('SIGHUP', () => { void gateway.reload('SIGHUP', true) })
  })
}
