// The access line's own JSON text equals JSON.stringify's, whatever the value.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { jsonString, millisecondsText } from '../src/json-text.js'

test('jsonString writes every string as JSON.stringify does', () => {
  const samples = ['', 'GET', '/api/hello', '203.0.113.7', '::1', 'a"b', 'back\\slash', 'tab\there', 'nul\u0000',
    '\u001f', '\u007f', 'é', '\u2028', '😀', 'lone \ud800 surrogate', 'lone \udfff', 'x'.repeat(100), 'x'.repeat(101) + '"',
    '7f6e1b2a-98c4-4b8e-9a51-3c2d1e0f9a8b']
  for (let code = 0; code < 0x10000; code += 7) samples.push(`a${String.fromCharCode(code)}b`)
  for (const text of samples) assert.equal(jsonString(text), JSON.stringify(text), `for ${JSON.stringify(text)}`)
})

test('millisecondsText is the text of the duration rounded to the microsecond, in milliseconds', () => {
  const samples = [0, 1e-7, 4e-7, 5e-7, 1e-6, 0.0012345, 0.001, 0.0015, 0.00125, 0.010203, 0.1, 0.999999, 1, 1.0000005,
    59.123456, 3600.5, 86400 * 365, 1e9 + 0.123, 2.5e9, -0.001, Number.NaN, Infinity]
  // Random durations over the ranges requests take, and every microsecond fraction.
  let seed = 12345
  const random = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
  for (let i = 0; i < 20000; i++) samples.push(random() * 10 ** Math.floor(random() * 8 - 4))
  for (let micros = 0; micros < 3000; micros++) samples.push(micros / 1e6)
  for (const seconds of samples) assert.equal(millisecondsText(seconds), String(Math.round(seconds * 1e6) / 1e3), `for ${seconds}`)
})
