// `Vary` is a list that several hands add to on one response: the upstream, CORS
// (Origin), compression (Accept-Encoding), and a cache hit replaying a stored answer.
// Every one of them merges through here, so names are never dropped or repeated.

type HeaderValue = string | string[] | number | undefined

/** The Vary list, lower-case and deduplicated; null for `Vary: *`. */
export function varyNames (value: HeaderValue): string[] | null {
  if (value === undefined) return []
  const names: string[] = []
  for (const part of (Array.isArray(value) ? value.join(',') : String(value)).split(',')) {
    const name = part.trim().toLowerCase()
    if (name === '*') return null
    if (name !== '' && !names.includes(name)) names.push(name)
  }
  return names
}

/**
 * `current` with `extra`'s names added (compared case-insensitively, written as given).
 * `Vary: *` already varies on everything, so it stays as it is.
 */
export function mergeVary (current: HeaderValue, extra: string | string[]): string {
  const text = current === undefined ? '' : (Array.isArray(current) ? current.join(', ') : String(current))
  const have = varyNames(current)
  if (have === null) return text
  const added: string[] = []
  for (const part of (Array.isArray(extra) ? extra.join(',') : extra).split(',')) {
    const name = part.trim()
    if (name !== '' && !have.includes(name.toLowerCase())) {
      have.push(name.toLowerCase())
      added.push(name)
    }
  }
  return [text, ...added].filter((part) => part !== '').join(', ')
}
