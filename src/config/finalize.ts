// Stages 4 and 5 of the pipeline: decode (durations to ms, sizes to bytes), make file
// paths absolute, and deep-freeze, so no one can change a running generation's config.
import path from 'node:path'
import { Value } from '@sinclair/typebox/value'
import { GatewayConfigSchema, type GatewayConfig } from './schema.js'

/** `value` must have passed validateConfig without issues. */
export function finalizeConfig (value: unknown, baseDir: string): Readonly<GatewayConfig> {
  const config = Value.Decode(GatewayConfigSchema, value)
  const tls = config.server.tls
  // Relative to the config file, not the process's cwd, which differs between a shell,
  // systemd and a container.
  if (tls !== undefined) config.server.tls = { cert: path.resolve(baseDir, tls.cert), key: path.resolve(baseDir, tls.key) }
  return deepFreeze(config)
}

export function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
