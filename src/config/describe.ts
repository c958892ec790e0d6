// Short English for schemas and values in validation messages.
import type { TSchema } from '@sinclair/typebox'

export function quote (value: unknown): string {
  return `'${String(value)}'`
}

/** `'5 minutes'`, `42`, `true`, `a list`, `nothing` (a YAML key with no value). */
export function describeValue (value: unknown): string {
  if (value === null || value === undefined) return 'nothing'
  if (typeof value === 'string') return quote(value)
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  return String(value)
}

/** `an integer >= 1`, `'auto'`, `a list`, `a mapping`, ... */
export function describeSchema (schema: TSchema): string {
  if (schema.const !== undefined) return quote(schema.const)
  switch (schema.type) {
    case 'integer': return `an integer${range(schema)}`
    case 'number': return `a number${range(schema)}`
    case 'string': return 'a string'
    case 'boolean': return 'true or false'
    case 'array': return schema.items?.type === 'string' ? 'a list of strings' : 'a list'
    case 'object': return 'a mapping'
    default: return 'a valid value'
  }
}

function range (schema: TSchema): string {
  const { minimum, maximum } = schema
  if (minimum !== undefined && maximum !== undefined) return ` from ${minimum} to ${maximum}`
  if (minimum !== undefined) return ` >= ${minimum}`
  if (maximum !== undefined) return ` <= ${maximum}`
  return ''
}
