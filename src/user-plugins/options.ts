// A plugin's options checked against its own schema when the config loads. Ajv, since a
// plugin's schema may be any JSON Schema (TypeBox's are JSON Schema too); defaults in
// the schema are filled in, so `register` sees them. Problems are config issues at the
// key they concern: `plugins.0.options.header: missing required key 'header'`.
import { Ajv, type ErrorObject } from 'ajv'
import type { Issue, KeyPath } from '../config/problem.js'

export interface CheckedOptions {
  readonly value: unknown
  readonly issues: Issue[]
}

/** `base`: the key path of the plugin's `options` (`['plugins', 0, 'options']`). */
export function checkOptions (ajv: Ajv, schema: object | undefined, given: unknown, base: KeyPath): CheckedOptions {
  // The config is frozen and Ajv writes defaults into what it checks: check a copy.
  const value = given === undefined ? {} : structuredClone(given)
  if (schema === undefined) return { value, issues: [] }
  let validate
  try {
    validate = ajv.compile(schema)
  } catch (err) {
    return { value, issues: [{ path: base.slice(0, -1), message: `the plugin's options schema is not a valid JSON Schema: ${(err as Error).message}` }] }
  }
  if (validate(value)) return { value, issues: [] }
  return { value, issues: (validate.errors ?? []).map((e) => explain(e, base)) }
}

function explain (e: ErrorObject, base: KeyPath): Issue {
  const at = [...base, ...pointerToPath(e.instancePath)]
  const params = e.params as Record<string, unknown>
  if (e.keyword === 'required') return { path: [...at, String(params.missingProperty)], message: `missing required key '${String(params.missingProperty)}'` }
  if (e.keyword === 'additionalProperties') return { path: [...at, String(params.additionalProperty)], message: `unknown key '${String(params.additionalProperty)}'`, at: 'key' }
  const got = e.data === undefined ? '' : ` (got ${JSON.stringify(e.data)})`
  return { path: at, message: `${e.message ?? 'is not valid'}${got}` }
}

function pointerToPath (pointer: string): string[] {
  if (pointer === '') return []
  return pointer.slice(1).split('/').map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
}
