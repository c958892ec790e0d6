// Filling in defaults, with two TypeBox quirks worked around: Value.Default does not
// descend into Type.Record values (each upstream), and it quietly merges a mapping into
// a list default (or a list into a mapping default), so `routes: {}` would become [].
// A key with no value (`token:`, or `token: ${TOKEN:-}` expanded) counts as not set.
import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { GatewayConfigSchema, UpstreamSchema } from './schema.js'
import type { Issue, KeyPath } from './problem.js'
import { isObject } from './guards.js'
import { describeSchema, describeValue } from './describe.js'

/** A defaulted copy; the parsed data stays as the file said. */
export function withDefaults (data: Record<string, unknown>): Record<string, unknown> {
  const value = Value.Default(GatewayConfigSchema, dropEmpty(GatewayConfigSchema, Value.Clone(data))) as Record<string, unknown>
  if (isObject(value.upstreams)) {
    for (const [name, upstream] of Object.entries(value.upstreams)) {
      value.upstreams[name] = Value.Default(UpstreamSchema, dropEmpty(UpstreamSchema, upstream))
    }
  }
  return value
}

/** Removes null values of optional or defaulted keys, in place, so their defaults apply. */
function dropEmpty (schema: TSchema, value: unknown): unknown {
  const items = schema.items as TSchema | undefined
  if (Array.isArray(value) && items !== undefined) value.forEach((item) => dropEmpty(items, item))
  if (!isObject(value) || schema.properties === undefined) return value
  const required = (schema.required ?? []) as string[]
  for (const [key, sub] of Object.entries(schema.properties as Record<string, TSchema>)) {
    if (value[key] === null && (sub.default !== undefined || !required.includes(key))) delete value[key]
    else dropEmpty(sub, value[key])
  }
  return value
}

/** A list where the schema has a mapping default, or the other way round: found before defaulting hides it. */
export function shapeIssues (schema: TSchema, value: unknown, path: KeyPath = []): Issue[] {
  if (Array.isArray(value)) {
    const items = schema.items as TSchema | undefined
    return items === undefined ? [] : value.flatMap((item, i) => shapeIssues(items, item, [...path, i]))
  }
  if (!isObject(value)) return []
  const recordValue = Object.values((schema.patternProperties ?? {}) as Record<string, TSchema>)[0]
  return Object.entries(value).flatMap(([key, child]) => {
    const sub = (schema.properties?.[key] as TSchema | undefined) ?? recordValue
    if (sub === undefined) return []
    const wanted = sub.default as unknown
    if (typeof wanted === 'object' && wanted !== null && typeof child === 'object' && child !== null &&
        Array.isArray(wanted) !== Array.isArray(child)) {
      return [{ path: [...path, key], message: `expected ${describeSchema(sub)}, got ${describeValue(child)}` }]
    }
    return shapeIssues(sub, child, [...path, key])
  })
}
