// The configs we ship as examples must stay valid as the schema moves, and none may
// carry a usable default secret: a forgotten variable must stop the start.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { ConfigError, parseConfigText } from '../src/config/load.js'
import { ROOT } from './helpers/child.js'

const files = [
  path.join(ROOT, 'configs', 'gateway.yaml'),
  ...readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')).map((f) => path.join(ROOT, 'examples', f))
]

/** What an operator sets before starting an example that needs a secret. */
const OPERATOR_ENV = { JWT_SECRET: randomBytes(48).toString('base64') }

for (const file of files) {
  test(`${path.relative(ROOT, file)} is a valid config`, () => {
    try {
      parseConfigText(readFileSync(file, 'utf8'), file, OPERATOR_ENV)
    } catch (err) {
      assert.fail(err instanceof ConfigError ? err.message : String(err))
    }
  })
}

test('no example ships a default secret: each secret comes from a variable without a default', () => {
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const secret = /^\s*secret:\s*(\S.*?)\s*(#.*)?$/.exec(line)?.[1]
      if (secret === undefined) continue
      assert.match(secret, /^\$\{[A-Z_][A-Z0-9_]*\}$/, `${path.relative(ROOT, file)}: ${line.trim()}`)
    }
  }
})

test('examples/edge.yaml without JWT_SECRET is refused, naming the variable', () => {
  const file = path.join(ROOT, 'examples', 'edge.yaml')
  assert.throws(() => parseConfigText(readFileSync(file, 'utf8'), file, {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.match(err.message, /JWT_SECRET/)
    return true
  })
})

test('every example config is checked', () => {
  assert.ok(files.length >= 3, files.join(', '))
})
