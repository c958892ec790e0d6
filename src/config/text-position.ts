// Offsets in a text to 1-based line:column, by a binary search over line starts.

export interface TextPosition { line: number, col: number }

export function positionIndex (text: string): (offset: number) => TextPosition {
  const starts = [0]
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1)
  return (offset) => {
    const at = Math.max(0, Math.min(offset, text.length))
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((starts[mid] as number) <= at) lo = mid
      else hi = mid - 1
    }
    return { line: lo + 1, col: at - (starts[lo] as number) + 1 }
  }
}
