import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, parseConfigText } from '../src/config/load.js'
import { expandEnv } from '../src/config/env.js'

function problemsOf (text: string, env: NodeJS.ProcessEnv): string[] {
  try {
    parseConfigText(text, 'gw.yaml', env)
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n')
    throw err
  }
  return []
}

test('${VAR} is replaced by its value before parsing', () => {
  const { config } = parseConfigText('admin:\n  token: ${TOKEN}\n  port: ${PORT}\n', 'gw.yaml', { TOKEN: 's3cret', PORT: '9191' })
  assert.equal(config.admin.token, 's3cret')
  assert.equal(config.admin.port, 9191)
})

test('${VAR:-default} uses the default when VAR is unset or empty', () => {
  const text = 'admin:\n  token: ${TOKEN:-fallback}\n  host: ${HOST:-0.0.0.0}\n'
  assert.equal(parseConfigText(text, 'gw.yaml', {}).config.admin.token, 'fallback')
  assert.equal(parseConfigText(text, 'gw.yaml', { TOKEN: '' }).config.admin.token, 'fallback')
  assert.equal(parseConfigText(text, 'gw.yaml', { TOKEN: 'set' }).config.admin.token, 'set')
  assert.equal(parseConfigText('admin: { token: "${T:-}" }', 'gw.yaml', {}).config.admin.token, '')
})

test('an empty expansion in an unquoted value means "not set" (as in configs/gateway.yaml)', () => {
  const { config } = parseConfigText('admin:\n  token: ${TURNPIKE_ADMIN_TOKEN:-}   # empty = disabled\n', 'gw.yaml', {})
  assert.equal(config.admin.token, '')
})

test('an unset variable without a default is an error naming it, at its line:col', () => {
  assert.deepEqual(problemsOf('admin:\n  token: ${ADMIN_TOKEN}\n', {}), [
    'gw.yaml:2:10: environment variable ADMIN_TOKEN is not set (set it, or give a default: ${ADMIN_TOKEN:-value})'
  ])
})

test('every unset variable is reported at once', () => {
  const problems = problemsOf('admin: { token: ${A}, host: ${B} }\n', {})
  assert.equal(problems.length, 2)
  assert.match(problems[0] ?? '', /^gw\.yaml:1:17: environment variable A is not set/)
  assert.match(problems[1] ?? '', /^gw\.yaml:1:29: environment variable B is not set/)
})

test('a bad reference is an error; $${ is a literal ${', () => {
  assert.match(problemsOf('admin: { token: ${1X} }\n', {})[0] ?? '', /^gw\.yaml:1:17: bad variable reference '\$\{1X\}'/)
  assert.match(problemsOf('admin: { token: ${X\n', {})[0] ?? '', /^gw\.yaml:1:17: unclosed '\$\{'/)
  assert.equal(parseConfigText('admin: { token: "$${X}" }', 'gw.yaml', {}).config.admin.token, '${X}')
})

test('references inside comments are left alone', () => {
  const text = '# token: ${UNSET}\nadmin:\n  token: x  # was ${ALSO_UNSET}\n  host: "a#${H:-b}"\n'
  const { config } = parseConfigText(text, 'gw.yaml', {})
  assert.equal(config.admin.token, 'x')
  assert.equal(config.admin.host, 'a#b')
})

test('positions after a substitution still point into the file as written', () => {
  const problems = problemsOf('admin: { token: ${T:-a-long-default-value}, bogus: 1 }\n', {})
  assert.deepEqual(problems, ["gw.yaml:1:45 admin.bogus: unknown key 'bogus'"])
})

test('expandEnv maps offsets in the expanded text back to the source', () => {
  const source = 'a: ${X}\nb: 1\n'
  const out = expandEnv(source, { X: 'many\nlines' })
  assert.equal(out.text, 'a: many\nlines\nb: 1\n')
  assert.equal(out.toSourceOffset(out.text.indexOf('b:')), source.indexOf('b:'))
  assert.equal(out.toSourceOffset(out.text.indexOf('lines')), source.indexOf('${X}'))
  assert.equal(out.toSourceOffset(1), 1)
})
