// Duration and size strings of gateway.yaml ("250ms", "10s", "512kb") and their
// conversion to numbers. Kept apart from the schema so the CLI and tests can parse too.

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/
const SIZE = /^(\d+(?:\.\d+)?)(b|kb|mb|gb)$/i

const MS_PER_UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const BYTES_PER_UNIT: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }

export const DURATION_PATTERN = DURATION.source
export const SIZE_PATTERN = '^(\\d+(?:\\.\\d+)?)([bB]|[kK][bB]|[mM][bB]|[gG][bB])$'

/** Milliseconds in a duration string such as `250ms` or `5m`; throws on anything else. */
export function parseDuration (text: string): number {
  const m = DURATION.exec(text)
  if (m === null) throw new Error(`bad duration "${text}" (use e.g. 250ms, 10s, 5m, 1h)`)
  return Math.round(Number(m[1]) * (MS_PER_UNIT[m[2] as string] as number))
}

/** Bytes in a size string such as `512kb` (binary units: 1kb = 1024 bytes). */
export function parseSize (text: string): number {
  const m = SIZE.exec(text)
  if (m === null) throw new Error(`bad size "${text}" (use e.g. 512kb, 10mb)`)
  return Math.round(Number(m[1]) * (BYTES_PER_UNIT[(m[2] as string).toLowerCase()] as number))
}

/** The inverse of parseDuration, for printing the running config. */
export function formatDuration (ms: number): string {
  if (ms !== 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms % 1000 === 0) return `${ms / 1000}s`
  return `${ms}ms`
}

/** The inverse of parseSize. */
export function formatSize (bytes: number): string {
  for (const unit of ['gb', 'mb', 'kb'] as const) {
    const per = BYTES_PER_UNIT[unit] as number
    if (bytes !== 0 && bytes % per === 0) return `${bytes / per}${unit}`
  }
  return `${bytes}b`
}
