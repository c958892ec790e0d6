// hashOn → the key a hash balancer hashes: ip (default), header:NAME, cookie:NAME, claim:NAME.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FastifyRequest } from 'fastify'
import { cookieValue, hashKeyOf } from '../src/upstream/hash-key.js'

function request (headers: Record<string, string | string[]>, extra: Record<string, unknown> = {}): FastifyRequest {
  return { headers, ip: '198.51.100.9', turnpike: { clientIp: null, ...extra } } as unknown as FastifyRequest
}

test('ip, and no hashOn at all, give the client IP', () => {
  assert.equal(hashKeyOf(request({}), 'ip'), '198.51.100.9')
  assert.equal(hashKeyOf(request({}), undefined), '198.51.100.9')
})

test('header:NAME reads the header, case-insensitively by name; missing or empty → undefined', () => {
  assert.equal(hashKeyOf(request({ 'x-user': 'alice' }), 'header:X-User'), 'alice')
  assert.equal(hashKeyOf(request({}), 'header:x-user'), undefined)
  assert.equal(hashKeyOf(request({ 'x-user': '' }), 'header:x-user'), undefined)
})

test('cookie:NAME reads only that cookie', () => {
  const cookie = 'theme=dark; session=abc123;  sess=no; quoted="q v"'
  assert.equal(hashKeyOf(request({ cookie }), 'cookie:session'), 'abc123')
  assert.equal(hashKeyOf(request({ cookie }), 'cookie:missing'), undefined)
  assert.equal(hashKeyOf(request({}), 'cookie:session'), undefined)
  assert.equal(cookieValue(cookie, 'sess'), 'no')
  assert.equal(cookieValue(cookie, 'quoted'), 'q v')
  assert.equal(cookieValue(cookie, 'theme'), 'dark')
  assert.equal(cookieValue('session', 'session'), undefined)
  assert.equal(cookieValue('session=', 'session'), undefined)
  assert.equal(cookieValue('xsession=1; session=2', 'session'), '2')
})

test('claim:NAME reads request.turnpike.claims when auth has put it there, else undefined', () => {
  assert.equal(hashKeyOf(request({}), 'claim:sub'), undefined)
  assert.equal(hashKeyOf(request({}, { claims: { sub: 'u-1', tenant: 42 } }), 'claim:sub'), 'u-1')
  assert.equal(hashKeyOf(request({}, { claims: { sub: 'u-1', tenant: 42 } }), 'claim:tenant'), '42')
  assert.equal(hashKeyOf(request({}, { claims: { groups: ['a'] } }), 'claim:groups'), undefined)
})
