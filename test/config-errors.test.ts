import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, formatProblem, parseConfigText, type ConfigProblem } from '../src/config/load.js'
import { configProblems } from './helpers/config.js'

function problemsOf (text: string): ConfigProblem[] {
  const problems = configProblems(text)
  if (problems.length === 0) assert.fail('expected a ConfigError')
  return problems
}

const lines = (text: string): string[] => problemsOf(text).map(formatProblem)

const UPSTREAM = 'upstreams:\n  a:\n    targets: [{ url: "http://127.0.0.1:1" }]\n'

test('an unknown key is reported at the key, with its exact line and column', () => {
  assert.deepEqual(problemsOf('server:\n  port: 8080\n  prot: 8081\n'), [
    { file: 'gw.yaml', line: 3, col: 3, path: 'server.prot', message: "unknown key 'prot' (did you mean 'port'?)" }
  ])
  assert.deepEqual(lines('colour: red\n'), ["gw.yaml:1:1 colour: unknown key 'colour'"])
})

test('several problems are all reported, sorted by line', () => {
  const text = [
    'routes:',
    '  - name: r',
    '    match: { path: /x }',
    '    upstream: a',
    '    timeout: 5 minutes',
    'server:',
    '  port: http',
    'logging: { level: loud }',
    UPSTREAM
  ].join('\n')
  assert.deepEqual(lines(text), [
    "gw.yaml:5:14 routes.0.timeout: bad duration '5 minutes' (use e.g. 250ms, 10s, 5m, 1h)",
    "gw.yaml:7:9 server.port: expected an integer from 0 to 65535, got 'http'",
    "gw.yaml:8:19 logging.level: must be one of trace, debug, info, warn, error, fatal, silent; got 'loud'"
  ])
})

test('bad durations and sizes say what to write', () => {
  assert.deepEqual(lines('server: { timeouts: { keepAlive: 5 } }\n'),
    ["gw.yaml:1:34 server.timeouts.keepAlive: bad duration '5' (use e.g. 250ms, 10s, 5m, 1h)"])
  assert.deepEqual(lines('server: { bodyLimit: 10 MB }\n'),
    ["gw.yaml:1:22 server.bodyLimit: bad size '10 MB' (use e.g. 512kb, 10mb; 1kb = 1024 bytes)"])
})

test('a YAML syntax error is reported with its position', () => {
  const problems = problemsOf('server:\n  port: 8080\n\tadmin: 1\n')
  assert.equal(problems.length, 1)
  assert.deepEqual({ ...problems[0], message: undefined }, { file: 'gw.yaml', line: 3, col: 1, path: '', message: undefined })
  assert.match(problems[0]?.message ?? '', /^YAML: /)
  // The yaml package reports an unclosed quote where the text ends.
  assert.match(lines('a: "unclosed\n')[0] ?? '', /^gw\.yaml:2:1: YAML: Missing closing "quote/)
  assert.match(lines('a: 1\na: 2\n')[0] ?? '', /^gw\.yaml:2:1: YAML: Map keys must be unique/)
})

test('YAML aliases: an unknown one is an error, and an alias bomb is refused', () => {
  assert.deepEqual(lines('admin:\n  host: *nope\n'), ['gw.yaml:2:9: YAML: unknown alias *nope'])
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
    'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n')
  assert.match(lines(bomb)[0] ?? '', /^gw\.yaml:1:1: YAML: Excessive alias count/)
  assert.deepEqual(lines('a: &x [1, [2, *x]]\n'), ['gw.yaml:1:15: YAML: alias *x refers to a node that contains it'])
})

test('a missing required key is reported once, at its parent', () => {
  assert.deepEqual(lines(`${UPSTREAM}routes:\n  - name: r\n    upstream: a\n`), [
    "gw.yaml:5:5 routes.0.match: missing required key 'match'"
  ])
})

test('a union reports its closest variant, not "expected union value"', () => {
  assert.deepEqual(lines('server: { workers: 0 }\n'), ['gw.yaml:1:20 server.workers: must be >= 1, got 0'])
  assert.deepEqual(lines('server: { workers: many }\n'),
    ["gw.yaml:1:20 server.workers: expected an integer >= 1 or 'auto'; got 'many'"])
  assert.deepEqual(lines('server: { trustProxy: yes }\n'),
    ["gw.yaml:1:23 server.trustProxy: expected true or false, an integer >= 0 or a list of strings; got 'yes'"])
})

test('an empty value is "not set": its default applies, and a required key says so', () => {
  assert.equal(parseConfigText('server:\n  port:\nroutes:\n', 'gw.yaml', {}).config.server.port, 8080)
  assert.deepEqual(lines(`${UPSTREAM}routes:\n  - name: r\n    match: { path: / }\n    upstream:\n`),
    ['gw.yaml:5:5 routes.0: a route needs `upstream` or `split`'])
})

test('wrong types, ranges and list lengths', () => {
  assert.deepEqual(lines('upstreams:\n  a:\n    targets: []\n'), ['gw.yaml:3:14 upstreams.a.targets: needs at least 1 item'])
  assert.deepEqual(lines('admin: { port: 70000 }\n'), ['gw.yaml:1:16 admin.port: must be <= 65535, got 70000'])
  assert.deepEqual(lines('logging: { accessLog: "no" }\n'), ["gw.yaml:1:23 logging.accessLog: expected true or false, got 'no'"])
  // Value.Default would quietly turn these into [] and {}.
  assert.deepEqual(lines('routes: {}\n'), ['gw.yaml:1:9 routes: expected a list, got a mapping'])
  assert.deepEqual(lines('server: [a]\n'), ['gw.yaml:1:9 server: expected a mapping, got a list'])
})

test('ConfigError.message is the formatted problems, one a line', () => {
  try {
    parseConfigText('a: 1\nb: 2\n', 'gw.yaml', {})
    assert.fail('expected a ConfigError')
  } catch (err) {
    assert.ok(err instanceof ConfigError)
    assert.equal(err.message, "gw.yaml:1:1 a: unknown key 'a'\ngw.yaml:2:1 b: unknown key 'b'")
  }
})

test('formatProblem', () => {
  assert.equal(formatProblem({ file: 'f.yaml', line: 3, col: 7, path: 'routes.0.upstream', message: 'm' }), 'f.yaml:3:7 routes.0.upstream: m')
  assert.equal(formatProblem({ file: 'f.yaml', line: 1, col: 1, path: '', message: 'm' }), 'f.yaml:1:1: m')
})

test('one mistake inside a route\'s rateLimit or cors is one message at its own line, no missing optional keys', () => {
  const route = (extra: string): string => [
    UPSTREAM + 'routes:',
    '  - name: r',
    '    match: { path: /x }',
    '    upstream: a',
    extra,
    ''
  ].join('\n')
  assert.deepEqual(lines(route('    rateLimit:\n      max: 5\n      window: 10')), [
    "gw.yaml:10:15 routes.0.rateLimit.window: bad duration '10' (use e.g. 250ms, 10s, 5m, 1h)"
  ])
  assert.deepEqual(lines(route('    cors:\n      origins: ["https://app.example.com"]\n      maxAge: 10')), [
    "gw.yaml:10:15 routes.0.cors.maxAge: bad duration '10' (use e.g. 250ms, 10s, 5m, 1h)"
  ])
  assert.deepEqual(lines(route('    cors:\n      origins: https://app.example.com')), [
    "gw.yaml:9:16 routes.0.cors.origins: expected a list of strings, got 'https://app.example.com'"
  ])
  // A key without a default is still required.
  assert.deepEqual(lines(route('    rateLimit:\n      window: 10s')), [
    "gw.yaml:8:5 routes.0.rateLimit.max: missing required key 'max'"
  ])
})
