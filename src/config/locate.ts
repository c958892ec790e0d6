// Which config file to use, first found wins: `-c/--config FILE`, env
// TURNPIKE_CONFIG, ./gateway.yaml, ./configs/gateway.yaml.
import { existsSync } from 'node:fs'
import path from 'node:path'

export const DEFAULT_CONFIG_FILES = ['gateway.yaml', path.join('configs', 'gateway.yaml')] as const

/**
 * The config file's absolute path, or null when none is found. A file named explicitly
 * (-c or TURNPIKE_CONFIG) is returned even if it does not exist, so the caller reports
 * that file as missing rather than silently falling back to another one.
 */
export function locateConfig (cliPath: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string | null {
  const explicit = cliPath ?? (env.TURNPIKE_CONFIG === '' ? undefined : env.TURNPIKE_CONFIG)
  if (explicit !== undefined) return path.resolve(cwd, explicit)
  for (const candidate of DEFAULT_CONFIG_FILES) {
    const file = path.resolve(cwd, candidate)
    if (existsSync(file)) return file
  }
  return null
}
