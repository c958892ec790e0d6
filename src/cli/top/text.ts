// The screen as data: a line is a list of spans, each with an optional style. Widths are
// counted on the plain text and escapes are added only at the end (paint), so padding
// and truncation never cut an escape sequence in half or count it as width.
//
// Our own few lines of ANSI rather than a TUI package (blessed, ink, terminal-kit): we
// need bold, four colours and "cursor home"; those packages bring a widget tree or React
// and dozens of dependencies into a gateway's production install for that.

export type Style = 'bold' | 'dim' | 'green' | 'red' | 'yellow' | 'cyan' | 'inverse'

export interface Span { readonly text: string, readonly style?: Style }
export type Line = readonly Span[]

const SGR: Record<Style, string> = { bold: '1', dim: '2', green: '32', red: '31', yellow: '33', cyan: '36', inverse: '7' }

export const span = (text: string, style?: Style): Span => style === undefined ? { text } : { text, style }

/**
 * Columns a string takes. Code points, not UTF-16 units; wide CJK or emoji would count
 * as one. Route names and URLs are ASCII in practice, so a width table is not worth it.
 */
export const width = (text: string): number => [...text].length

/** `text` cut to `max` columns, with `…` marking the cut. */
export function truncate (text: string, max: number): string {
  if (max <= 0) return ''
  const chars = [...text]
  if (chars.length <= max) return text
  return chars.slice(0, max - 1).join('') + '…'
}

/** `text` cut to `max` columns in the middle, keeping both ends (a URL's host and port). */
export function truncateMiddle (text: string, max: number): string {
  const chars = [...text]
  if (chars.length <= max) return text
  if (max <= 2) return truncate(text, max)
  const tail = Math.floor((max - 1) / 2)
  return chars.slice(0, max - 1 - tail).join('') + '…' + chars.slice(chars.length - tail).join('')
}

export function pad (text: string, size: number, align: 'left' | 'right' = 'left', cut: 'end' | 'middle' = 'end'): string {
  const fitted = cut === 'middle' ? truncateMiddle(text, size) : truncate(text, size)
  const fill = ' '.repeat(size - width(fitted))
  return align === 'left' ? fitted + fill : fill + fitted
}

export function lineWidth (line: Line): number {
  return line.reduce((n, s) => n + width(s.text), 0)
}

/** `line` cut to `max` columns; a `…` in the last column marks the cut. */
export function fitLine (line: Line, max: number): Line {
  if (lineWidth(line) <= max) return line
  const out: Span[] = []
  let left = max
  for (const s of line) {
    if (left <= 0) break
    const chars = [...s.text]
    if (chars.length < left) {
      out.push(s)
      left -= chars.length
      continue
    }
    // More text follows this column whatever this span holds: the line was too wide.
    out.push({ ...s, text: chars.slice(0, left - 1).join('') + '…' })
    break
  }
  return out
}

/** `line` without trailing blanks, which only make copied text and tests awkward. */
export function trimLine (line: Line): Line {
  const out = [...line]
  while (out.length > 0) {
    const last = out[out.length - 1] as Span
    const text = last.text.trimEnd()
    if (text !== '') {
      out[out.length - 1] = { ...last, text }
      break
    }
    out.pop()
  }
  return out
}

export function plain (line: Line): string {
  return line.map((s) => s.text).join('')
}

/** The line as terminal text: SGR escapes around styled spans when `colour` is on. */
export function paint (line: Line, colour: boolean): string {
  if (!colour) return plain(line)
  return line.map((s) => s.style === undefined || s.text === '' ? s.text : `\x1b[${SGR[s.style]}m${s.text}\x1b[0m`).join('')
}
