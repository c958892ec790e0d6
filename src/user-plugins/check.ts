// The config pipeline's last stage, asynchronous because it runs user code: load the
// plugins a config names and check their options. Any problem is a ConfigError with
// file, line and column like every other config problem, so `turnpike validate`, a
// start (exit 1) and a reload (the running config stays) report it the same way.
import { ConfigError } from '../config/problem.js'
import { configDir, issueLocator } from '../config/issue-locator.js'
import type { GatewayConfig } from '../config/schema.js'
import { loadUserPlugins, type LoadedPlugins } from './load.js'

/** A parsed config (config/load.ts's LoadedConfig, named here without importing it). */
export interface ParsedConfig {
  readonly file: string
  readonly text: string
  readonly config: Readonly<GatewayConfig>
}

/** `loaded` with its plugins loaded and checked; throws a ConfigError on any problem. */
export async function withUserPlugins<T extends ParsedConfig> (loaded: T, env: NodeJS.ProcessEnv = process.env): Promise<T & { readonly plugins: LoadedPlugins }> {
  return Object.freeze({ ...loaded, plugins: await requireUserPlugins(loaded, env) })
}

export async function requireUserPlugins (loaded: ParsedConfig, env: NodeJS.ProcessEnv = process.env): Promise<LoadedPlugins> {
  const { plugins, issues } = await loadUserPlugins(loaded.config, configDir(loaded.file))
  if (issues.length > 0) throw new ConfigError(issues.map(issueLocator(loaded.text, loaded.file, env)))
  return plugins
}
