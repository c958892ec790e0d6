// `turnpike top` arguments: flags over environment over defaults; misuse is exit 2.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseTopArgs } from '../src/cli/top/options.js'

test('defaults: the local admin port, a 1s interval, no token, live', () => {
  assert.deepEqual(parseTopArgs([], {}), { kind: 'run', options: { admin: 'http://127.0.0.1:9090', intervalMs: 1000, once: false } })
})

test('TURNPIKE_ADMIN_URL and TURNPIKE_ADMIN_TOKEN are used; flags win over them', () => {
  const env = { TURNPIKE_ADMIN_URL: 'https://gw.example.com/admin/', TURNPIKE_ADMIN_TOKEN: 'from-env' }
  assert.deepEqual(parseTopArgs([], env), { kind: 'run', options: { admin: 'https://gw.example.com/admin', intervalMs: 1000, once: false, token: 'from-env' } })
  assert.deepEqual(parseTopArgs(['--admin', 'http://10.0.0.5:9090', '--token', 'flag', '--interval', '250ms', '--once'], env),
    { kind: 'run', options: { admin: 'http://10.0.0.5:9090', intervalMs: 250, once: true, token: 'flag' } })
})

test('misuse: unknown flags, positionals, bad URLs and bad or too short intervals', () => {
  for (const argv of [['--bogus'], ['extra'], ['--admin', 'not a url'], ['--admin', 'ftp://x'], ['--interval', '5 minutes'], ['--interval', '10ms']]) {
    assert.equal(parseTopArgs(argv, {}).kind, 'misuse', argv.join(' '))
  }
  assert.equal(parseTopArgs(['-h'], {}).kind, 'help')
})
