// The configs we ship as examples must stay valid as the schema moves.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { ConfigError, parseConfigText } from '../src/config/load.js'
import { ROOT } from './helpers/child.js'

const files = [
  path.join(ROOT, 'configs', 'gateway.yaml'),
  ...readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')).map((f) => path.join(ROOT, 'examples', f))
]

for (const file of files) {
  test(`${path.relative(ROOT, file)} is a valid config`, () => {
    try {
      parseConfigText(readFileSync(file, 'utf8'), file, {})
    } catch (err) {
      assert.fail(err instanceof ConfigError ? err.message : String(err))
    }
  })
}

test('every example config is checked', () => {
  assert.ok(files.length >= 3, files.join(', '))
})
