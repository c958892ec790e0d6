// Where a plugin's `module` lives: a path (./x.js, ../x.cjs, /abs/x.mjs) is relative
// to the config file; anything else is a package name resolved from the config file's
// directory the way Node resolves an import there (import-meta-resolve: Node 20 cannot
// resolve from another directory with import.meta.resolve without a flag).
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { resolve } from 'import-meta-resolve'

export function isPathSpecifier (specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../') || path.isAbsolute(specifier)
}

/** The module's file URL; throws (with Node's message) when it cannot be found. */
export function resolvePluginModule (specifier: string, configDir: string): URL {
  if (isPathSpecifier(specifier)) return pathToFileURL(path.resolve(configDir, specifier))
  return new URL(resolve(specifier, pathToFileURL(path.join(configDir, 'gateway.yaml')).href))
}
