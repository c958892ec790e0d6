// JSON text for the access line, written per request. JSON.stringify of a short string
// costs about as much as the rest of the line (a call into the runtime and a string
// builder), and the values of a line (request id, method, path, client IP) almost never
// need escaping; a number with a fraction is formatted through the runtime's
// double-to-string. Here a string that needs no escaping (one regular-expression scan)
// is just quoted, and a duration is formatted from integer microseconds, with the same
// result as JSON.stringify and String (test/json-text.test.ts).

/** A character JSON.stringify escapes: control characters, quote, backslash, and a surrogate (a lone one is written as \\uXXXX). */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/

/** `JSON.stringify(text)` for a string. */
export function jsonString (text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : '"' + text + '"'
}

/** ".001" … ".999" with trailing zeros dropped (".5", ".25"), "" for 0: the part after the point. */
const FRACTIONS: readonly string[] = Object.freeze(Array.from({ length: 1000 }, (_, n) =>
  n === 0 ? '' : '.' + String(n).padStart(3, '0').replace(/0+$/, '')))

/**
 * `String(Math.round(seconds * 1e6) / 1e3)`: a duration in milliseconds with at most
 * three decimals. A number with at most three decimals and fewer than 16 digits prints
 * as exactly those digits, so the integer microseconds give the same text.
 */
export function millisecondsText (seconds: number): string {
  const micros = Math.round(seconds * 1e6)
  if (!(micros >= 0 && micros < 1e15)) return String(micros / 1e3)
  const whole = Math.floor(micros / 1000)
  return String(whole) + (FRACTIONS[micros - whole * 1000] as string)
}
