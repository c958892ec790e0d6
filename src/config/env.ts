// Stage 2 of the pipeline: `${VAR}` / `${VAR:-default}` expansion on the raw text, before
// YAML parsing (so a variable can hold any YAML). It records where each substitution
// came from, so positions in the expanded text map back to the file the user wrote.
//
// Rules (docs/configuration.md repeats them):
// - `${VAR}` is VAR's value; an unset VAR is an error. An empty VAR is used as is.
// - `${VAR:-default}` is the default when VAR is unset or empty (as in sh).
// - `$${` is a literal `${`.
// - A `${` inside a YAML comment is left alone, so commented-out lines never fail.

/** `offset` is in the original text. */
export interface EnvProblem { offset: number, message: string }

export interface Expanded {
  text: string
  problems: EnvProblem[]
  /** An offset in `text` to the offset in the original text it came from. */
  toSourceOffset (offset: number): number
}

interface Edit { at: number, end: number, src: number, srcEnd: number }

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export function expandEnv (source: string, env: NodeJS.ProcessEnv): Expanded {
  const problems: EnvProblem[] = []
  const edits: Edit[] = []
  let out = ''
  let copied = 0
  const replace = (start: number, end: number, value: string): void => {
    out += source.slice(copied, start)
    edits.push({ at: out.length, end: out.length + value.length, src: start, srcEnd: end })
    out += value
    copied = end
  }

  for (const { start, end } of lines(source)) {
    const limit = commentStart(source, start, end)
    for (let i = source.indexOf('$', start); i !== -1 && i < limit; i = source.indexOf('$', i + 1)) {
      if (source.startsWith('$${', i)) {
        replace(i, i + 3, '${')
        i += 2
        continue
      }
      if (!source.startsWith('${', i)) continue
      const close = source.indexOf('}', i)
      if (close === -1 || close >= end) {
        problems.push({ offset: i, message: "unclosed '${' (write $${ for a literal ${)" })
        break
      }
      const ref = source.slice(i + 2, close)
      const result = resolve(ref, env)
      if ('error' in result) {
        problems.push({ offset: i, message: result.error })
        replace(i, close + 1, '')
      } else {
        replace(i, close + 1, result.value)
      }
      i = close
    }
  }
  out += source.slice(copied)
  return { text: out, problems, toSourceOffset: (offset) => toSource(edits, offset) }
}

function resolve (ref: string, env: NodeJS.ProcessEnv): { value: string } | { error: string } {
  const sep = ref.indexOf(':-')
  const name = sep === -1 ? ref : ref.slice(0, sep)
  if (!NAME.test(name)) {
    return { error: `bad variable reference '\${${ref}}' (use \${NAME} or \${NAME:-default}; write $\${ for a literal \${)` }
  }
  const value = env[name]
  if (sep === -1) {
    return value === undefined ? { error: `environment variable ${name} is not set (set it, or give a default: \${${name}:-value})` } : { value }
  }
  const fallback = ref.slice(sep + 2)
  if (fallback.includes('${')) return { error: `nested '\${' in the default of ${name} is not supported` }
  return { value: value === undefined || value === '' ? fallback : value }
}

function toSource (edits: readonly Edit[], offset: number): number {
  let shift = 0
  for (const edit of edits) {
    if (offset < edit.at) break
    if (offset < edit.end) return edit.src
    shift = edit.srcEnd - edit.end
  }
  return offset + shift
}

function * lines (text: string): Generator<{ start: number, end: number }> {
  let start = 0
  while (start <= text.length) {
    const nl = text.indexOf('\n', start)
    const end = nl === -1 ? text.length : nl
    yield { start, end }
    start = end + 1
  }
}

/**
 * Where a `#` comment starts on a line (or the line end). A heuristic, not a YAML
 * parser: a `#` after whitespace (or at the start) and outside '…' or "…" opened on
 * this line. Good enough for commented-out keys, which is what it is for.
 */
function commentStart (text: string, start: number, end: number): number {
  let quote = ''
  for (let i = start; i < end; i++) {
    const c = text[i] as string
    const prev = i === start ? ' ' : text[i - 1] as string
    if (quote !== '') {
      if (c === '\\' && quote === '"') i++
      else if (c === quote) quote = ''
    } else if ((c === '"' || c === "'") && ' \t:[{,-'.includes(prev)) {
      quote = c
    } else if (c === '#' && (prev === ' ' || prev === '\t')) {
      return i
    }
  }
  return end
}
