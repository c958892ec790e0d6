// `expectStatus` of a health check: "200-399", "200" or a comma list of both, already
// shape-checked by the schema (STATUS_RANGES_PATTERN). Compiled once per checker.

/** A predicate over statuses; throws on a range whose ends are the wrong way round. */
export function statusMatcher (text: string): (status: number) => boolean {
  const ranges = text.split(',').map((part) => {
    const [from, to = from] = part.split('-').map((n) => Number(n)) as [number, number?]
    if (to < from) throw new RangeError(`status range '${part}' ends before it starts`)
    return [from, to] as const
  })
  return (status) => ranges.some(([from, to]) => status >= from && status <= to)
}

/** Why `text` is not a usable status list, or undefined (for the config cross-check). */
export function statusRangesProblem (text: string): string | undefined {
  try {
    statusMatcher(text)
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}
