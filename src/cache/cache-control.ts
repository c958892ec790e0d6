// Cache-Control (RFC 9111 §5.2) read into a map of lower-case directive → argument,
// with `true` for a directive without one. Unknown directives are kept and ignored by
// the caller; a repeated header is one list.

export type Directives = ReadonlyMap<string, string | true>

const NONE: ReadonlyMap<string, string | true> = new Map()

export function parseCacheControl (value: string | string[] | number | undefined): Directives {
  if (value === undefined) return NONE
  const text = Array.isArray(value) ? value.join(',') : String(value)
  if (text === '') return NONE
  const out = new Map<string, string | true>()
  for (const part of text.split(',')) {
    const eq = part.indexOf('=')
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase()
    if (name === '') continue
    if (eq === -1) {
      out.set(name, true)
      continue
    }
    let arg = part.slice(eq + 1).trim()
    if (arg.length >= 2 && arg.startsWith('"') && arg.endsWith('"')) arg = arg.slice(1, -1)
    out.set(name, arg)
  }
  return out
}

/** A delta-seconds argument (`max-age=60`) in seconds; undefined when absent or not a number. */
export function deltaSeconds (directives: Directives, name: string): number | undefined {
  const arg = directives.get(name)
  if (typeof arg !== 'string' || !/^\d+$/.test(arg)) return undefined
  return Number(arg)
}
