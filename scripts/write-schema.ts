// `npm run schema`: writes configs/gateway.schema.json from the TypeBox schema.
// test/config-json-schema.test.ts fails when the committed file is out of date.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { buildJsonSchema } from '../src/config/json-schema.js'

const SCHEMA_FILE = fileURLToPath(new URL('../configs/gateway.schema.json', import.meta.url))

writeFileSync(SCHEMA_FILE, JSON.stringify(buildJsonSchema(), null, 2) + '\n')
console.log(`wrote ${SCHEMA_FILE}`)
