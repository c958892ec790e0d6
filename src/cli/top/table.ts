// A table that fits a width: numbers keep their columns, and the columns marked `flex`
// (names, URLs) give up width, widest first, down to their minimum; what no longer fits
// is truncated with `…`.
import { fitLine, pad, span, trimLine, width, type Line, type Span } from './text.js'

export interface Column {
  readonly header: string
  readonly align?: 'left' | 'right'
  /** May shrink below its content's width when the table is too wide. */
  readonly flex?: boolean
  /** The narrowest a flex column gets (default: its header's width, at least 6). */
  readonly min?: number
  /** Where a too-long cell loses characters: `middle` keeps both ends, for URLs. */
  readonly cut?: 'end' | 'middle'
}

export type Cell = string | Span

const GAP = '  '

export function table (columns: readonly Column[], rows: ReadonlyArray<readonly Cell[]>, maxWidth: number): Line[] {
  const cells = rows.map((row) => columns.map((_, i) => toSpan(row[i])))
  const sizes = columns.map((c, i) => Math.max(width(c.header), ...cells.map((row) => width(row[i]?.text ?? ''))))
  shrink(columns, sizes, maxWidth - GAP.length * (columns.length - 1))
  const header: Line = [span(layout(columns, sizes, columns.map((c) => span(c.header))).map((s) => s.text).join(''), 'bold')]
  return [header, ...cells.map((row) => layout(columns, sizes, row))].map((line) => trimLine(fitLine(line, maxWidth)))
}

function toSpan (cell: Cell | undefined): Span {
  if (cell === undefined) return span('')
  return typeof cell === 'string' ? span(cell) : cell
}

/** Narrows the flex columns in place, widest first, until the sizes sum to `room`. */
function shrink (columns: readonly Column[], sizes: number[], room: number): void {
  const floor = columns.map((c) => c.min ?? Math.max(width(c.header), 6))
  let over = sizes.reduce((a, b) => a + b, 0) - room
  while (over > 0) {
    let widest = -1
    columns.forEach((c, i) => {
      if (c.flex === true && (sizes[i] as number) > (floor[i] as number) && (widest < 0 || (sizes[i] as number) > (sizes[widest] as number))) widest = i
    })
    if (widest < 0) return
    sizes[widest] = (sizes[widest] as number) - 1
    over--
  }
}

function layout (columns: readonly Column[], sizes: readonly number[], row: readonly Span[]): Span[] {
  const out: Span[] = []
  columns.forEach((c, i) => {
    if (i > 0) out.push(span(GAP))
    const cell = row[i] ?? span('')
    const text = pad(cell.text, sizes[i] as number, c.align, c.cut)
    out.push(cell.style === undefined ? span(text) : span(text, cell.style))
  })
  return out
}
