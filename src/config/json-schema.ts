// configs/gateway.schema.json, built from the TypeBox schema (the one source of truth),
// for editors: plain JSON, and a key the loader fills in by default is not "required".
import { GatewayConfigSchema } from './schema.js'

export function buildJsonSchema (): Record<string, unknown> {
  // JSON round trip: drops TypeBox's symbol keys and Transform functions.
  const schema = JSON.parse(JSON.stringify(GatewayConfigSchema)) as Record<string, unknown>
  relaxDefaulted(schema)
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...schema }
}

function relaxDefaulted (node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(relaxDefaulted)
    return
  }
  if (typeof node !== 'object' || node === null) return
  const obj = node as Record<string, unknown>
  const properties = obj.properties as Record<string, Record<string, unknown>> | undefined
  if (Array.isArray(obj.required) && properties !== undefined) {
    const required = obj.required.filter((key: string) => properties[key]?.default === undefined)
    if (required.length > 0) obj.required = required
    else delete obj.required
  }
  Object.values(obj).forEach(relaxDefaulted)
}
