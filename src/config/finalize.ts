// Stages 4 and 5 of the pipeline: decode (durations to ms, sizes to bytes), make file
// paths absolute, and deep-freeze, so no one can change a running generation's config.
import path from 'node:path'
import { Value } from '@sinclair/typebox/value'
import { GatewayConfigSchema, type GatewayConfig } from './schema.js'

/** `value` must have passed validateConfig without issues. */
export function finalizeConfig (value: unknown, baseDir: string): Readonly<GatewayConfig> {
  const config = Value.Decode(GatewayConfigSchema, value)
  // File names are relative to the config file, not the process's cwd, which differs
  // between a shell, systemd and a container.
  const at = (file: string | undefined): string | undefined => file === undefined ? undefined : path.resolve(baseDir, file)
  const tls = config.server.tls
  if (tls !== undefined) {
    config.server.tls = withoutUndefined({
      ...tls,
      cert: at(tls.cert),
      key: at(tls.key),
      certificates: tls.certificates?.map((pair) => ({ cert: path.resolve(baseDir, pair.cert), key: path.resolve(baseDir, pair.key) })),
      clientCA: at(tls.clientCA)
    })
  }
  for (const upstream of Object.values(config.upstreams)) {
    const u = upstream.tls
    if (u !== undefined) upstream.tls = withoutUndefined({ ...u, ca: at(u.ca), cert: at(u.cert), key: at(u.key) })
  }
  return deepFreeze(config)
}

/** Optional keys stay absent rather than present-and-undefined (so /config and digests read as the file). */
function withoutUndefined<T extends object> (value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

export function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
