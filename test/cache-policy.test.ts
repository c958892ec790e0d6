// The cache's rules without a gateway: what a request's Cache-Control allows, what
// may be stored and for how long, the entry format, Age, and the in-process store's
// TTL (on an injected clock) and byte bound.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseCacheControl } from '../src/cache/cache-control.js'
import { ageSeconds, decodeRecord, encodeRecord, isFresh, type CacheEntry } from '../src/cache/entry.js'
import { primaryKey, variantKey } from '../src/cache/key.js'
import { LOCAL_MAX_SIZE, LocalStore } from '../src/cache/local-store.js'
import { CACHEABLE_STATUSES, credentialHeaders, requestMode, storeDecision } from '../src/cache/policy.js'
import { mergeVary, varyNames } from '../src/proxy/vary.js'

const NOW = Date.parse('2030-01-01T00:00:00Z')
const TTL = 60_000
const MAX = 1024

function entry (over: Partial<CacheEntry> = {}): CacheEntry {
  return { kind: 'entry', status: 200, headers: [['content-type', 'text/plain']], storedAt: NOW, expiresAt: NOW + 10_000, upstreamAge: 0, body: Buffer.from('hello'), ...over }
}

test('Cache-Control parses directives case-insensitively, with quoted and bare arguments', () => {
  const cc = parseCacheControl(['Max-Age=60, private="set-cookie"', ' no-transform'])
  assert.equal(cc.get('max-age'), '60')
  assert.equal(cc.get('private'), 'set-cookie')
  assert.equal(cc.get('no-transform'), true)
  assert.equal(parseCacheControl(undefined).size, 0)
})

test('a request asks for a lookup, a refresh (no-cache, max-age=0, Pragma) or no store at all', () => {
  assert.equal(requestMode(undefined, undefined), 'lookup')
  assert.equal(requestMode('max-age=30', undefined), 'lookup')
  assert.equal(requestMode('no-cache', undefined), 'refresh')
  assert.equal(requestMode('max-age=0', undefined), 'refresh')
  assert.equal(requestMode(undefined, 'no-cache'), 'refresh')
  assert.equal(requestMode('no-store', undefined), 'no-store')
  assert.equal(requestMode('no-cache, no-store', undefined), 'no-store')
})

test('credential headers: Authorization, x-api-key and the configured API-key header', () => {
  assert.deepEqual([...credentialHeaders('X-Key')].sort(), ['authorization', 'x-api-key', 'x-key'])
  assert.deepEqual([...credentialHeaders(undefined)].sort(), ['authorization', 'x-api-key'])
})

test('only statuses cacheable by default are stored', () => {
  for (const status of [200, 203, 204, 300, 301, 404, 405, 410, 414, 501]) {
    assert.ok(storeDecision(status, {}, TTL, MAX, NOW) !== null, String(status))
    assert.ok(CACHEABLE_STATUSES.has(status))
  }
  for (const status of [201, 206, 302, 304, 307, 400, 401, 403, 429, 500, 502, 503]) {
    assert.equal(storeDecision(status, {}, TTL, MAX, NOW), null, String(status))
  }
})

test('no-store, private, no-cache, Set-Cookie, Vary: * and event streams are never stored', () => {
  assert.equal(storeDecision(200, { 'cache-control': 'no-store' }, TTL, MAX, NOW), null)
  assert.equal(storeDecision(200, { 'cache-control': 'public, private' }, TTL, MAX, NOW), null)
  assert.equal(storeDecision(200, { 'cache-control': 'private="x"' }, TTL, MAX, NOW), null)
  assert.equal(storeDecision(200, { 'cache-control': 'no-cache, max-age=60' }, TTL, MAX, NOW), null)
  assert.equal(storeDecision(200, { 'set-cookie': ['a=1'] }, TTL, MAX, NOW), null)
  assert.equal(storeDecision(200, { vary: 'accept, *' }, TTL, MAX, NOW), null)
  assert.equal(storeDecision(200, { 'content-type': 'text/event-stream; charset=utf-8' }, TTL, MAX, NOW), null)
  assert.equal(storeDecision(200, { 'content-length': MAX + 1 }, TTL, MAX, NOW), null)
  assert.ok(storeDecision(200, { 'content-length': String(MAX) }, TTL, MAX, NOW) !== null)
})

test('freshness: s-maxage over max-age over Expires over the route ttl, less the upstream Age', () => {
  assert.equal(storeDecision(200, {}, TTL, MAX, NOW)?.ttlMs, TTL)
  assert.equal(storeDecision(200, { 'cache-control': 'max-age=5' }, TTL, MAX, NOW)?.ttlMs, 5000)
  assert.equal(storeDecision(200, { 'cache-control': 'max-age=5, s-maxage=7' }, TTL, MAX, NOW)?.ttlMs, 7000)
  const date = new Date(NOW).toUTCString()
  const expires = new Date(NOW + 9000).toUTCString()
  assert.equal(storeDecision(200, { date, expires }, TTL, MAX, NOW)?.ttlMs, 9000)
  assert.equal(storeDecision(200, { date, expires, 'cache-control': 'max-age=2' }, TTL, MAX, NOW)?.ttlMs, 2000)
  assert.equal(storeDecision(200, { expires: '0' }, TTL, MAX, NOW), null, 'an invalid Expires is already stale')
  assert.equal(storeDecision(200, { 'cache-control': 'max-age=0' }, TTL, MAX, NOW), null)
  const aged = storeDecision(200, { 'cache-control': 'max-age=10', age: '4' }, TTL, MAX, NOW)
  assert.equal(aged?.ttlMs, 6000)
  assert.equal(aged?.upstreamAge, 4)
  assert.equal(storeDecision(200, { 'cache-control': 'max-age=10', age: '10' }, TTL, MAX, NOW), null)
})

test('Vary names are lower-cased and deduplicated', () => {
  assert.deepEqual(varyNames('Accept-Language, accept-language,Accept'), ['accept-language', 'accept'])
  assert.deepEqual(varyNames(undefined), [])
  assert.equal(varyNames(['accept', '*']), null)
  assert.deepEqual(storeDecision(200, { vary: 'X-Tenant' }, TTL, MAX, NOW)?.vary, ['x-tenant'])
})

test('a hit\'s Vary keeps the policy\'s names and adds the stored ones once', () => {
  assert.equal(mergeVary('Origin', 'Accept-Language, origin'), 'Origin, Accept-Language')
  assert.equal(mergeVary(undefined, 'Accept'), 'Accept')
  assert.equal(mergeVary(['Origin', 'Accept'], ['accept', 'X-Tenant']), 'Origin, Accept, X-Tenant')
})

test('keys: GET and HEAD share one; variants differ by the varied headers only', () => {
  const host = 'api.example.com'
  const key = primaryKey('r', 'https', host, host, '/a', '?x=1')
  assert.notEqual(key, primaryKey('r', 'https', host, host, '/a', '?x=2'))
  assert.notEqual(key, primaryKey('other', 'https', host, host, '/a', '?x=1'))
  assert.notEqual(key, primaryKey('r', 'https', 'www.example.com', 'www.example.com', '/a', '?x=1'))
  assert.notEqual(key, primaryKey('r', 'http', host, host, '/a', '?x=1'), 'the scheme is keyed (http→https redirects)')
  assert.notEqual(key, primaryKey('r', 'https', host, 'evil.example', '/a', '?x=1'), 'the host sent upstream is keyed')
  const en = variantKey(key, ['accept-language'], { 'accept-language': 'en', cookie: 'a' })
  assert.equal(en, variantKey(key, ['accept-language'], { 'accept-language': ' en ', cookie: 'b' }))
  assert.notEqual(en, variantKey(key, ['accept-language'], { 'accept-language': 'fr' }))
  assert.notEqual(variantKey(key, ['x'], {}), variantKey(key, ['x'], { x: '' }))
})

test('entries and Vary markers survive the Redis wire format; damaged values read as a miss', () => {
  const original = entry({ headers: [['content-type', 'text/plain'], ['link', ['<a>', '<b>']]], upstreamAge: 3, body: Buffer.from([0, 1, 2, 255]) })
  assert.deepEqual(decodeRecord(encodeRecord(original)), original)
  const marker = { kind: 'vary', names: ['accept'], expiresAt: NOW } as const
  assert.deepEqual(decodeRecord(encodeRecord(marker)), marker)
  assert.equal(decodeRecord(Buffer.from('garbage')), undefined)
  assert.equal(decodeRecord(Buffer.from([0, 0, 0, 2, 0x7b, 0x7d])), undefined)
})

test('Age counts whole seconds in the cache plus the upstream Age; freshness ends at expiresAt', () => {
  const e = entry({ upstreamAge: 2 })
  assert.equal(ageSeconds(e, NOW), 2)
  assert.equal(ageSeconds(e, NOW + 1999), 3)
  assert.equal(ageSeconds(e, NOW - 5000), 2, 'a clock that went back does not make it younger')
  assert.equal(isFresh(e, NOW + 9999), true)
  assert.equal(isFresh(e, NOW + 10_000), false)
})

test('the in-process store expires an entry after its TTL (injected clock)', () => {
  let now = 1000
  const store = new LocalStore({ clock: { now: () => now } })
  store.set('k', entry(), 1000)
  now += 999
  assert.equal((store.get('k') as CacheEntry | undefined)?.body.toString(), 'hello')
  now += 2
  assert.equal(store.get('k'), undefined)
})

test('the in-process store stays within its byte budget, dropping the least recently used', () => {
  assert.equal(LOCAL_MAX_SIZE, 64 * 1024 * 1024)
  const cap = 1024 * 1024
  const store = new LocalStore({ maxSize: cap })
  const body = Buffer.alloc(50 * 1024)
  for (let i = 0; i < 100; i++) {
    store.set(`key-${i}`, entry({ body }), 60_000)
    assert.ok(store.calculatedSize <= cap, `after ${i + 1} entries: ${store.calculatedSize} > ${cap}`)
  }
  assert.ok(store.calculatedSize > cap / 2, 'the budget is used')
  assert.equal(store.get('key-0'), undefined)
  assert.notEqual(store.get('key-99'), undefined)
  store.set('huge', entry({ body: Buffer.alloc(cap + 1) }), 60_000)
  assert.equal(store.get('huge'), undefined, 'an entry larger than the budget is not stored')
  assert.ok(store.calculatedSize <= cap)
})
