// Loads the user plugins one config generation names: each module's current code
// (import-fresh.ts), its default export checked to be a plugin, and its options checked
// against its schema. Problems come back as config issues at the plugin's keys, so one
// load serves `turnpike validate`, a start, a reload and a cluster worker alike.
import { Ajv } from 'ajv'
import type { GatewayConfig, PluginConfig } from '../config/schema.js'
import type { Issue } from '../config/problem.js'
import type { PluginDefinition } from './define.js'
import { importFresh } from './import-fresh.js'
import { checkOptions } from './options.js'
import { resolvePluginModule } from './resolve.js'

export interface LoadedPlugin {
  /** The config's name for it (what routes list, the label in logs and metrics). */
  readonly name: string
  /** `module` as the config writes it. */
  readonly module: string
  readonly definition: PluginDefinition
  /** Checked, with the schema's defaults filled in. */
  readonly options: unknown
}

export type LoadedPlugins = ReadonlyMap<string, LoadedPlugin>

export interface PluginLoad {
  readonly plugins: LoadedPlugins
  readonly issues: readonly Issue[]
}

export async function loadUserPlugins (config: Readonly<GatewayConfig>, configDir: string): Promise<PluginLoad> {
  const plugins = new Map<string, LoadedPlugin>()
  const issues: Issue[] = []
  const entries = config.plugins ?? []
  if (entries.length === 0) return { plugins, issues }
  // One validator per load: compiled schemas belong to this generation's plugin code.
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, verbose: true })
  for (const [i, entry] of entries.entries()) {
    const loaded = await loadOne(entry, configDir, ['plugins', i, 'module'])
    if ('message' in loaded) {
      issues.push(loaded)
      continue
    }
    const checked = checkOptions(ajv, loaded.options as object | undefined, entry.options, ['plugins', i, 'options'])
    issues.push(...checked.issues)
    plugins.set(entry.name, { name: entry.name, module: entry.module, definition: loaded, options: checked.value })
  }
  return { plugins, issues }
}

async function loadOne (entry: PluginConfig, configDir: string, at: Issue['path']): Promise<PluginDefinition | Issue> {
  let url: URL
  try {
    url = resolvePluginModule(entry.module, configDir)
  } catch (err) {
    return { path: at, message: `cannot find plugin module '${entry.module}': ${firstLine(err)}` }
  }
  let namespace: unknown
  try {
    namespace = await importFresh(url)
  } catch (err) {
    return { path: at, message: `cannot load plugin module '${entry.module}': ${firstLine(err)}` }
  }
  return pluginOf(namespace) ?? { path: at, message: `'${entry.module}' is not a plugin: its default export must be { name, options?, register }` }
}

/** The default export, or a CommonJS module's `exports.default` (TypeScript's output). */
function pluginOf (namespace: unknown): PluginDefinition | undefined {
  let candidate = (namespace as { default?: unknown } | null)?.default
  if (!isPlugin(candidate)) candidate = (candidate as { default?: unknown } | undefined)?.default
  return isPlugin(candidate) ? candidate : undefined
}

function isPlugin (value: unknown): value is PluginDefinition {
  if (typeof value !== 'object' || value === null) return false
  const { name, register, options } = value as Record<string, unknown>
  return typeof name === 'string' && typeof register === 'function' && (options === undefined || (typeof options === 'object' && options !== null))
}

function firstLine (err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return message.split('\n')[0] ?? message
}
