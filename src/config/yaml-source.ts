// Stage 1 of the pipeline: YAML text to plain data, plus where every key and value sits,
// so later stages can report a key path and the user still gets a line and column.
import { parseDocument, isAlias, isMap, isScalar, isSeq, visit, type Node } from 'yaml'
import type { KeyPath } from './problem.js'

export interface YamlProblem { offset: number, message: string }

interface Place { key?: number, value: number }

/** Offsets of the keys and values of a parsed document, by key path. */
export class SourceMap {
  private readonly places = new Map<string, Place>()

  set (path: KeyPath, place: Place): void {
    this.places.set(keyOf(path), place)
  }

  /**
   * The offset of a key or its value. A path the file does not have (a missing key, a
   * filled-in default) falls back to the nearest ancestor the file does have.
   */
  offsetOf (path: KeyPath, at: 'key' | 'value' = 'value'): number {
    const exact = this.places.get(keyOf(path))
    if (exact !== undefined) return at === 'key' ? exact.key ?? exact.value : exact.value
    for (let n = path.length - 1; n >= 0; n--) {
      const place = this.places.get(keyOf(path.slice(0, n)))
      if (place !== undefined) return place.key ?? place.value
    }
    return 0
  }
}

export interface ParsedYaml {
  data: unknown
  map: SourceMap
  problems: YamlProblem[]
}

export function parseYaml (text: string): ParsedYaml {
  // merge: `<<: *defaults`, as docker-compose users write it. logLevel: the yaml
  // package's warnings would go to process warnings, not to the user's terminal.
  const doc = parseDocument(text, { prettyErrors: false, merge: true, logLevel: 'error' })
  const map = new SourceMap()
  const problems = doc.errors.map((e) => ({ offset: e.pos[0], message: `YAML: ${e.message}` }))
  visit(doc, {
    Alias (_, alias, ancestors) {
      const target = alias.resolve(doc)
      const offset = alias.range?.[0] ?? 0
      if (target === undefined) problems.push({ offset, message: `YAML: unknown alias *${alias.source}` })
      // An alias inside its own anchor would make a circular structure.
      else if (ancestors.includes(target)) problems.push({ offset, message: `YAML: alias *${alias.source} refers to a node that contains it` })
    }
  })
  // An empty file is far more often a truncated write, a wrong mount or a wrong path
  // than a wish for a gateway with no routes: refuse it rather than serve 404s.
  const contents = doc.contents
  const nothing = contents === null || (isScalar(contents) && contents.value === null && valueOffset(contents) === undefined)
  if (nothing && problems.length === 0) {
    problems.push({ offset: 0, message: 'the config file is empty (nothing but whitespace or comments)' })
  }
  if (problems.length > 0) return { data: undefined, map, problems }
  if (doc.contents !== null) walk(doc.contents, [], map)
  map.set([], { value: doc.contents?.range?.[0] ?? 0 })
  try {
    // The alias cap stops a "billion laughs" document from exhausting memory.
    return { data: doc.toJS({ maxAliasCount: 100 }) as unknown, map, problems }
  } catch (err) {
    return { data: undefined, map, problems: [{ offset: 0, message: `YAML: ${(err as Error).message}` }] }
  }
}

function walk (node: Node, path: KeyPath, map: SourceMap): void {
  if (isAlias(node)) return
  if (isMap(node)) {
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode)
      const keyOffset = keyNode?.range?.[0] ?? node.range?.[0] ?? 0
      const valueNode = pair.value as Node | null
      const child = [...path, key]
      map.set(child, { key: keyOffset, value: valueOffset(valueNode) ?? keyOffset })
      if (valueNode !== null) walk(valueNode, child, map)
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const itemNode = item as Node | null
      const child = [...path, i]
      map.set(child, { value: valueOffset(itemNode) ?? node.range?.[0] ?? 0 })
      if (itemNode !== null) walk(itemNode, child, map)
    })
  }
}

/** An empty value (`key:` and nothing) has no useful position of its own. */
function valueOffset (node: Node | null): number | undefined {
  const range = node?.range
  if (range == null || (isScalar(node) && node.value === null && range[0] === range[1])) return undefined
  return range[0]
}

function keyOf (path: KeyPath): string {
  return JSON.stringify(path.map(String))
}
