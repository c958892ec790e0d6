import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { buildJsonSchema } from '../src/config/json-schema.js'

const FILE = new URL('../configs/gateway.schema.json', import.meta.url)

test('configs/gateway.schema.json is current (regenerate with `npm run schema`)', async () => {
  const committed = JSON.parse(await readFile(FILE, 'utf8')) as unknown
  assert.deepEqual(committed, buildJsonSchema())
})

test('keys the loader fills in by default are not required', () => {
  const schema = buildJsonSchema() as { required?: string[], properties: Record<string, { required?: string[] }>, $id: string, title: string }
  assert.equal(schema.required, undefined)
  assert.equal(schema.$id, 'https://turnpike.dev/gateway.schema.json')
  assert.equal(schema.title, 'Turnpike gateway.yaml')
  const routes = schema.properties.routes as unknown as { items: { required: string[] } }
  // `upstream` or `split`: the cross-checks require one of them.
  assert.deepEqual(routes.items.required, ['name', 'match'])
})
