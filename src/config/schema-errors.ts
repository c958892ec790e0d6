// TypeBox's value errors made readable: one message per problem, named the way a person
// editing gateway.yaml thinks ("unknown key 'foo'", "bad duration '5 minutes'"), and no
// cascades (a union reports its closest variant, a missing key reports nothing else).
import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors'
import type { Issue } from './problem.js'
import { describeSchema, describeValue, quote } from './describe.js'
import { closestName } from './closest-name.js'
import { DURATION_PATTERN, SIZE_PATTERN } from './units.js'

/** Pattern → what a person should write instead. Unknown patterns get a generic message. */
const PATTERN_HINTS: Record<string, (v: string) => string> = {
  [DURATION_PATTERN]: (v) => `bad duration ${quote(v)} (use e.g. 250ms, 10s, 5m, 1h)`,
  [SIZE_PATTERN]: (v) => `bad size ${quote(v)} (use e.g. 512kb, 10mb; 1kb = 1024 bytes)`,
  '^https?://': (v) => `expected an http:// or https:// URL, got ${quote(v)}`,
  '^/': (v) => `must start with '/', got ${quote(v)}`,
  '^[A-Za-z0-9_.-]+$': (v) => `bad name ${quote(v)} (letters, digits, '_', '.' and '-' only)`,
  '^[0-9a-fA-F]{64}$': () => 'expected 64 hex characters (the output of `turnpike hash-key KEY`)',
  '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$': (v) => `${quote(v)} is not a valid header name`,
  '^(\\*\\.)?[A-Za-z0-9.-]+(:\\d+)?$': (v) => `bad host ${quote(v)} (a host name, optionally *.example.com or with :port)`
}

export function schemaIssues (schema: TSchema, value: unknown): Issue[] {
  return [...Value.Errors(schema, value)].flatMap(explain)
}

function explain (e: ValueError): Issue[] {
  const path = pointerToPath(e.path)
  const issue = (message: string, at?: 'key'): Issue[] => [{ path, message, ...(at === undefined ? {} : { at }) }]
  const { schema, value } = e
  const pattern = typeof schema.pattern === 'string' ? schema.pattern : undefined
  const hint = pattern === undefined ? undefined : PATTERN_HINTS[pattern]
  // Inside a union (a route's `rateLimit` or `cors`), TypeBox fills no defaults when the
  // value is invalid, so a key with a default looks missing (and not a string); it never is.
  if (value === undefined && schema.default !== undefined) return []

  switch (e.type) {
    case ValueErrorType.Union: return explainUnion(e)
    case ValueErrorType.ObjectRequiredProperty: return issue(`missing required key ${quote(path.at(-1))}`)
    case ValueErrorType.ObjectAdditionalProperties: {
      const key = String(path.at(-1))
      if (schema.patternProperties !== undefined) return issue(`bad name ${quote(key)} (letters, digits, '_', '.' and '-' only)`, 'key')
      const near = closestName(key, Object.keys(schema.properties ?? {}))
      return issue(`unknown key ${quote(key)}${near === undefined ? '' : ` (did you mean ${quote(near)}?)`}`, 'key')
    }
    case ValueErrorType.StringPattern:
      return issue(hint?.(String(value)) ?? `${quote(value)} does not match the pattern ${pattern}`)
    case ValueErrorType.String:
      // A duration or size given as a bare number (`timeout: 5`) lacks only its unit.
      if (typeof value === 'number' && (pattern === DURATION_PATTERN || pattern === SIZE_PATTERN)) return issue(hint?.(String(value)) ?? '')
      return issue(expected(schema, value))
    case ValueErrorType.Integer:
    case ValueErrorType.Number:
    case ValueErrorType.Boolean:
    case ValueErrorType.Array:
    case ValueErrorType.Object:
      return issue(expected(schema, value))
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return issue(`must be >= ${schema.minimum}, got ${describeValue(value)}`)
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return issue(`must be <= ${schema.maximum}, got ${describeValue(value)}`)
    case ValueErrorType.ArrayMinItems:
      return issue(`needs at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`)
    case ValueErrorType.ArrayMaxItems:
      return issue(`allows at most ${schema.maxItems} items`)
    case ValueErrorType.Literal:
      return issue(`must be ${describeSchema(schema)}, got ${describeValue(value)}`)
    default:
      return issue(e.message)
  }
}

/**
 * A union either lists its choices (an enum of literals, or no variant of the value's
 * type) or, when exactly one non-literal variant has the value's type, reports that
 * variant's own errors: `workers: 0` is "must be >= 1", not "expected union value".
 */
function explainUnion (e: ValueError): Issue[] {
  const variants = (e.schema.anyOf ?? []) as TSchema[]
  const sameType = variants.map((v, i) => ({ v, i })).filter(({ v }) => typeMatches(v, e.value))
  const only = sameType.length === 1 ? sameType[0] : undefined
  if (only !== undefined && only.v.const === undefined) {
    const inner = e.errors[only.i]
    if (inner !== undefined) return [...inner].flatMap(explain)
  }
  const path = pointerToPath(e.path)
  const allLiterals = variants.every((v) => v.const !== undefined)
  const choices = allLiterals
    ? `must be one of ${variants.map((v) => String(v.const)).join(', ')}`
    : `expected ${joinOr(variants.map(describeSchema))}`
  return [{ path, message: `${choices}; got ${describeValue(e.value)}` }]
}

function expected (schema: TSchema, value: unknown): string {
  return `expected ${describeSchema(schema)}, got ${describeValue(value)}`
}

function typeMatches (schema: TSchema, value: unknown): boolean {
  switch (schema.type) {
    case 'integer':
    case 'number': return typeof value === 'number'
    case 'string': return typeof value === 'string'
    case 'boolean': return typeof value === 'boolean'
    case 'array': return Array.isArray(value)
    case 'object': return typeof value === 'object' && value !== null && !Array.isArray(value)
    default: return false
  }
}

function joinOr (items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`
}

/** `/routes/0/match` (RFC 6901) to `['routes', 0, 'match']`. */
export function pointerToPath (pointer: string): Array<string | number> {
  if (pointer === '') return []
  return pointer.slice(1).split('/').map((s) => {
    const key = s.replace(/~1/g, '/').replace(/~0/g, '~')
    return /^(0|[1-9]\d*)$/.test(key) ? Number(key) : key
  })
}
