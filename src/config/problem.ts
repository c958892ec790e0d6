// What every stage of the config pipeline reports. Stages that know nothing about the
// YAML text (schema, feature gate, cross-checks) report an Issue (a key path); load.ts
// turns each into a ConfigProblem (file, line, column) from the parsed document.

/** A key path into the config: `['routes', 0, 'upstream']`. */
export type KeyPath = ReadonlyArray<string | number>

export interface Issue {
  readonly path: KeyPath
  readonly message: string
  /** Point at the key itself (unknown keys, unsupported features) rather than its value. */
  readonly at?: 'key' | 'value'
}

export interface ConfigProblem {
  file: string
  line: number
  col: number
  /** Dotted, numeric indices: `routes.0.upstream`; '' for the file as a whole. */
  path: string
  message: string
}

/** `FILE:LINE:COL path.to.key: message` (the format of `turnpike validate`). */
export function formatProblem (p: ConfigProblem): string {
  const where = `${p.file}:${p.line}:${p.col}`
  return p.path === '' ? `${where}: ${p.message}` : `${where} ${p.path}: ${p.message}`
}

export function sortProblems (problems: readonly ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col || a.path.localeCompare(b.path))
}

export function dottedPath (path: KeyPath): string {
  return path.join('.')
}

/** Every problem of one config file; `message` is the formatted problems, one a line. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[]

  constructor (problems: readonly ConfigProblem[]) {
    const sorted = sortProblems(problems)
    super(sorted.map(formatProblem).join('\n'))
    this.name = 'ConfigError'
    this.problems = sorted
  }
}
