// The config pipeline, end to end: read → expand ${VAR} → parse YAML → validate
// (defaults, schema, feature gate, cross-checks) → decode → freeze. Any problem at any
// stage is a ConfigError listing every problem found, each with file, line and column.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { GatewayConfig } from './schema.js'
import { ConfigError, dottedPath, type ConfigProblem } from './problem.js'
import { positionIndex } from './text-position.js'
import { expandEnv } from './env.js'
import { parseYaml } from './yaml-source.js'
import { validateConfig } from './validate.js'
import { finalizeConfig } from './finalize.js'
import { withUserPlugins } from '../user-plugins/check.js'
import type { LoadedPlugins } from '../user-plugins/load.js'

export { ConfigError, formatProblem, type ConfigProblem } from './problem.js'

export interface LoadedConfig {
  /** The file name as given (used in every problem message). */
  readonly file: string
  /** Defaults filled in, durations in ms, sizes in bytes, deep-frozen. */
  readonly config: Readonly<GatewayConfig>
  /** The file's text as read, before ${VAR} expansion (so no secrets from the environment). */
  readonly text: string
  /**
   * The user plugins' code, loaded and checked for this config (loadConfigFile); absent
   * when only the text was parsed, or the config came over IPC: the build loads them.
   */
  readonly plugins?: LoadedPlugins
}

/** Runs the pipeline on `text`; `file` names it in problems and anchors relative paths. */
export function parseConfigText (text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const positionOf = positionIndex(text)
  const expanded = expandEnv(text, env)
  // Offsets from the YAML parser are in the expanded text; map them back to the file's.
  const problemAt = (expandedOffset: number, message: string, keyPath = ''): ConfigProblem =>
    ({ file, ...positionOf(expanded.toSourceOffset(expandedOffset)), path: keyPath, message })

  const parsed = parseYaml(expanded.text)
  const early = [
    ...expanded.problems.map((p) => ({ file, ...positionOf(p.offset), path: '', message: p.message })),
    ...parsed.problems.map((p) => problemAt(p.offset, p.message))
  ]
  if (early.length > 0) throw new ConfigError(early)

  const baseDir = path.dirname(path.resolve(file))
  const { value, issues } = validateConfig(parsed.data, { baseDir })
  if (issues.length > 0) {
    throw new ConfigError(issues.map((issue) =>
      problemAt(parsed.map.offsetOf(issue.path, issue.at), issue.message, dottedPath(issue.path))))
  }
  return Object.freeze({ file, config: finalizeConfig(value, baseDir), text })
}

/** The text of `file`; an unreadable file is a ConfigError at 1:1. */
export async function readConfigText (file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(err))
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: `cannot read the config file (${reason})` }])
  }
}

/** Reads and runs the pipeline on `file`, its user plugins' code loaded and checked last. */
export async function loadConfigFile (file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  return await withUserPlugins(parseConfigText(await readConfigText(file), file, env), env)
}
