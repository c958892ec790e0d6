// hashOn → the key a hash balancer hashes: ip (default), header:NAME, cookie:NAME, claim:NAME.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FastifyRequest } from 'fastify'
import { cookieValue, hashKeyReader } from '../src/upstream/hash-key.js'

function request (headers: Record<string, string | string[]>, extra: Record<string, unknown> = {}): FastifyRequest {
  return { headers, ip: '198.51.100.9', turnpike: { clientIp: null, ...extra } } as unknown as FastifyRequest
}

test('ip, and no hashOn at all, give the client IP', () => {
  assert.equal(hashKeyReader('ip')(request({})), '198.51.100.9')
  assert.equal(hashKeyReader(undefined)(request({})), '198.51.100.9')
})

test('header:NAME reads the header, case-insensitively by name; missing or empty → undefined', () => {
  assert.equal(hashKeyReader('header:X-User')(request({ 'x-user': 'alice' })), 'alice')
  assert.equal(hashKeyReader('header:x-user')(request({})), undefined)
  assert.equal(hashKeyReader('header:x-user')(request({ 'x-user': '' })), undefined)
})

test('cookie:NAME reads only that cookie', () => {
  const cookie = 'theme=dark; session=abc123;  sess=no; quoted="q v"'
  assert.equal(hashKeyReader('cookie:session')(request({ cookie })), 'abc123')
  assert.equal(hashKeyReader('cookie:missing')(request({ cookie })), undefined)
  assert.equal(hashKeyReader('cookie:session')(request({})), undefined)
  assert.equal(cookieValue(cookie, 'sess'), 'no')
  assert.equal(cookieValue(cookie, 'quoted'), 'q v')
  assert.equal(cookieValue(cookie, 'theme'), 'dark')
  assert.equal(cookieValue('session', 'session'), undefined)
  assert.equal(cookieValue('session=', 'session'), undefined)
  assert.equal(cookieValue('xsession=1; session=2', 'session'), '2')
})

test('claim:NAME reads request.turnpike.claims when auth has put it there, else undefined', () => {
  assert.equal(hashKeyReader('claim:sub')(request({})), undefined)
  assert.equal(hashKeyReader('claim:sub')(request({}, { claims: { sub: 'u-1', tenant: 42 } })), 'u-1')
  assert.equal(hashKeyReader('claim:tenant')(request({}, { claims: { sub: 'u-1', tenant: 42 } })), '42')
  assert.equal(hashKeyReader('claim:groups')(request({}, { claims: { groups: ['a'] } })), undefined)
})
