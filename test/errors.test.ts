// Clients and dashboards match on these codes and statuses: changing one is a
// breaking change, so this test makes it a deliberate one.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as errors from '../src/errors.js'

test('every error keeps its code and status', () => {
  const made = Object.entries(errors)
    .filter(([name]) => name.endsWith('Error'))
    .map(([, E]) => new (E as new (...a: unknown[]) => { code: string, statusCode: number })('x', 'y'))
  const table = Object.fromEntries(made.map((e) => [e.code, e.statusCode]))
  assert.deepEqual(table, errors.ERROR_CODES)
})
