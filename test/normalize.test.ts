import assert from 'node:assert/strict'
import { test } from 'node:test'
import { normalizeTarget, PathError } from '../src/routing/normalize.js'

const path = (target: string): string => normalizeTarget(target).path

test('a clean path and its query pass unchanged', () => {
  assert.deepEqual(normalizeTarget('/api/users/7?x=1&y=%2F'), { path: '/api/users/7', query: '?x=1&y=%2F' })
})

test('dot-segments are resolved and repeated slashes merged', () => {
  assert.equal(path('/a/./b/../c'), '/a/c')
  assert.equal(path('//a///b'), '/a/b')
  assert.equal(path('/a/b/..'), '/a/')
  assert.equal(path('/a/.'), '/a/')
  assert.equal(path('/a/b/'), '/a/b/')
})

test('percent-encoded unreserved characters are decoded, others upper-cased', () => {
  assert.equal(path('/%61pi/%7Euser'), '/api/~user')
  assert.equal(path('/a/%2e%2e/b'), '/b')
  assert.equal(path('/a%20b/%c3%a9'), '/a%20b/%C3%A9')
})

test('tricks that could change the route or upstream path are refused', () => {
  for (const bad of ['/a/%2F/b', '/a%2fb', '/a/%5C', '/a\\b', '/a/%00', '/..', '/a/../..', '/%2e%2e/etc',
    '/a/..;/admin', '/a/.;x/b', '/a/..%3b/admin', '/a/%zz', '/a/%4', 'a/b', '/a b']) {
    assert.throws(() => normalizeTarget(bad), PathError, bad)
  }
})

test('path parameters are refused: servlet upstreams read /admin;x as /admin, the route table does not', () => {
  for (const bad of ['/a;v=1/b', '/admin;x', '/admin;', '/;/admin', '/public;/../admin']) {
    assert.throws(() => normalizeTarget(bad), PathError, bad)
  }
})

test('an encoded semicolon is data and stays encoded', () => {
  assert.equal(path('/a%3bb'), '/a%3Bb')
})

test('a fragment in the request target is refused, even on an otherwise clean path', () => {
  for (const bad of ['/admin#x', '/admin#', '/public#/../admin', '/a#?b']) {
    assert.throws(() => normalizeTarget(bad), PathError, bad)
  }
})

test('case is preserved: matching is case-sensitive, as nginx on Linux', () => {
  assert.equal(path('/API/Users'), '/API/Users')
})
