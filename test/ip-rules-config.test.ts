// security.ipFilter entries must be IP addresses or CIDR ranges; a bad one is reported
// at its list index with the line and column of the entry.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { configProblems } from './helpers/config.js'

const CONFIG = `upstreams:
  app: { targets: [{ url: "http://127.0.0.1:8000" }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
security:
  ipFilter:
    allow: ["10.0.0.0/8", "10.0.0.0/33"]
    deny:
      - 203.0.113.0/24
      - evil.example.com
    exempt: ["::1", "2001:db8::/129", "fe80::1/64"]
`

/** Line and column (1-based) of the first `needle` in the text. */
function at (needle: string): { line: number, col: number } {
  const before = CONFIG.slice(0, CONFIG.indexOf(needle)).split('\n')
  return { line: before.length, col: (before.at(-1) ?? '').length + 1 }
}

test('every entry that is not an address or CIDR is reported at its index, line and column', () => {
  const problems = configProblems(CONFIG).map((p) => ({ path: p.path, line: p.line, col: p.col, message: p.message }))
  assert.deepEqual(problems.map((p) => p.path), ['security.ipFilter.allow.1', 'security.ipFilter.deny.1', 'security.ipFilter.exempt.1'])
  assert.deepEqual(problems.map(({ line, col }) => ({ line, col })), [at('"10.0.0.0/33"'), at('evil.example.com'), at('"2001:db8::/129"')])
  assert.match(problems[1]?.message ?? '', /'evil\.example\.com' is not an IP address or CIDR range/)
})

test('valid addresses and ranges of both families pass', () => {
  assert.deepEqual(configProblems(CONFIG
    .replace('10.0.0.0/33', '10.0.0.0/32')
    .replace('evil.example.com', '198.51.100.7')
    .replace('2001:db8::/129', '::ffff:192.0.2.1')), [])
})
