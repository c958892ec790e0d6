// Cross-checks of `auth` (src/config/check-auth.ts): a route's auth must be able to
// work, the JWT key source must be exactly one and fit the algorithms, a publicKey
// must be a usable PEM public key, and an empty secret is caught when it matters.
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { test } from 'node:test'
import { hashKey } from '../src/cli/hash-key.js'
import { formatProblem } from '../src/config/load.js'
import { configProblems } from './helpers/config.js'

const UPSTREAMS = 'upstreams:\n  app: { targets: [{ url: "http://127.0.0.1:8000" }] }\n'

function config (auth: string, ...modes: string[]): string {
  const routes = modes.map((mode, i) => `  - { name: r${i}, match: { path: /r${i} }, upstream: app, auth: ${mode} }`).join('\n')
  return `${UPSTREAMS}auth:\n${auth}\nroutes:\n${routes}\n`
}

/** `[path, message]` of every problem, in file order. */
function problems (text: string): Array<[string, string]> {
  return configProblems(text).map((p) => [p.path, p.message])
}

function pem (type: 'rsa' | 'ec' | 'ed25519' | 'ed448', options: Record<string, unknown> = {}, which: 'publicKey' | 'privateKey' = 'publicKey'): string {
  const pair = generateKeyPairSync(type as 'rsa', { modulusLength: 2048, ...options } as { modulusLength: number })
  return pair[which].export({ format: 'pem', type: which === 'publicKey' ? 'spki' : 'pkcs8' }).toString()
}

const withKey = (key: string, algorithms = '') => `  jwt: { publicKey: ${JSON.stringify(key)}${algorithms} }`
const KEYS = `  apiKeys: { keys: [{ id: ci, sha256: "${hashKey('k')}" }] }`

test('valid auth sections pass', () => {
  assert.deepEqual(problems(config('  jwt: { secret: test-secret-of-at-least-32-bytes-long }\n' + KEYS, 'jwt', 'apiKey', 'any', 'none')), [])
  assert.deepEqual(problems(config('  jwt: { jwksUrl: "https://id.test/jwks", algorithms: [ES256, EdDSA] }', 'jwt')), [])
  assert.deepEqual(problems(config(withKey(pem('rsa')), 'jwt')), [])
  assert.deepEqual(problems(config(withKey(pem('ec', { namedCurve: 'P-256' }), ', algorithms: [ES256]'), 'jwt')), [])
  assert.deepEqual(problems(config(withKey(pem('ed25519')), 'jwt')), [])
})

test('a route using jwt, apiKey or any needs the matching section', () => {
  assert.deepEqual(problems(config('  identityHeader: x-user', 'jwt', 'apiKey', 'any', 'none')), [
    ['routes.0.auth', 'auth: jwt needs auth.jwt, which is not configured'],
    ['routes.1.auth', 'auth: apiKey needs auth.apiKeys, which is not configured'],
    ['routes.2.auth', 'auth: any needs auth.jwt and auth.apiKeys, which are not configured']
  ])
  assert.deepEqual(problems(config(KEYS, 'any')), [['routes.0.auth', 'auth: any needs auth.jwt, which is not configured']])
  assert.deepEqual(problems(`${UPSTREAMS}routes:\n  - { name: r, match: { path: / }, upstream: app, auth: jwt }\n`),
    [['routes.0.auth', 'auth: jwt needs auth.jwt, which is not configured']])
})

test('auth.jwt needs exactly one of secret, publicKey and jwksUrl', () => {
  assert.deepEqual(problems(config('  jwt: { issuer: x }', 'jwt')), [['auth.jwt', 'needs one of secret, publicKey or jwksUrl']])
  assert.deepEqual(problems(config(`  jwt: { secret: test-secret-of-at-least-32-bytes-long, jwksUrl: "https://id.test/jwks", publicKey: ${JSON.stringify(pem('rsa'))} }`, 'jwt')),
    [['auth.jwt', 'set exactly one of secret, publicKey or jwksUrl (found secret and publicKey and jwksUrl)']])
})

test('an empty secret is an error only when a route uses JWT auth', () => {
  const unset = '  jwt: { secret: "${JWT_SECRET:-}" }'
  assert.deepEqual(problems(config(unset, 'none', 'any')), [
    ['auth.jwt.secret', 'is empty (an unset environment variable?), and routes.1 uses JWT auth'],
    ['routes.1.auth', 'auth: any needs auth.apiKeys, which is not configured']
  ])
  assert.deepEqual(problems(config(unset, 'none')), [])
  // An empty secret beside a real key source is no second source.
  assert.deepEqual(problems(config('  jwt: { secret: "${JWT_SECRET:-}", jwksUrl: "https://id.test/jwks" }', 'jwt')), [])
})

test('algorithms must fit the key material', () => {
  assert.deepEqual(problems(config('  jwt: { secret: test-secret-of-at-least-32-bytes-long, algorithms: [HS256, RS256, EdDSA] }', 'jwt')), [
    ['auth.jwt.algorithms.1', 'RS256 needs a publicKey or jwksUrl; with a secret only HS256, HS384 or HS512 can be used'],
    ['auth.jwt.algorithms.2', 'EdDSA needs a publicKey or jwksUrl; with a secret only HS256, HS384 or HS512 can be used']
  ])
  assert.deepEqual(problems(config('  jwt: { jwksUrl: "https://id.test/jwks", algorithms: [ES256, HS256] }', 'jwt')), [
    ['auth.jwt.algorithms.1', 'HS256 needs a secret; with a jwksUrl only RS256, ES256 or EdDSA can be used']
  ])
  assert.deepEqual(problems(config(withKey(pem('rsa'), ', algorithms: [ES256]'), 'jwt')), [
    ['auth.jwt.algorithms', 'the publicKey verifies only RS256, which is not in this list']
  ])
})

test('publicKey must be a usable PEM public key', () => {
  const [[path, message] = ['', '']] = problems(config(withKey('-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n'), 'jwt'))
  assert.equal(path, 'auth.jwt.publicKey')
  assert.match(message, /^is not a PEM public key \(/)
  assert.deepEqual(problems(config(withKey(pem('rsa', {}, 'privateKey')), 'jwt')),
    [['auth.jwt.publicKey', 'is a private key: give the public key (a private key must never be in the config)']])
  assert.deepEqual(problems(config(withKey(pem('rsa', { modulusLength: 1024 })), 'jwt')),
    [['auth.jwt.publicKey', 'an RSA key of 1024 bits is too short (2048 at least)']])
  assert.deepEqual(problems(config(withKey(pem('ec', { namedCurve: 'P-384' })), 'jwt')),
    [['auth.jwt.publicKey', 'EC curve secp384r1 is not supported (ES256 needs P-256)']])
  assert.deepEqual(problems(config(withKey(pem('ed448')), 'jwt')),
    [['auth.jwt.publicKey', 'key type ed448 is not supported (use RSA, EC P-256 or Ed25519)']])
})

test('API keys: header name, empty key list, duplicate ids and keys', () => {
  assert.deepEqual(problems(config('  apiKeys: { header: "x api key", keys: [] }', 'apiKey')), [
    ['auth.apiKeys.header', "'x api key' is not a valid header name"],
    ['auth.apiKeys.keys', 'is empty, so no request can pass routes.0, which uses API keys']
  ])
  assert.deepEqual(problems(config('  apiKeys: { keys: [] }', 'none')), [])
  const digest = hashKey('k')
  assert.deepEqual(problems(config(`  apiKeys: { keys: [{ id: a, sha256: "${digest}" }, { id: a, sha256: "${hashKey('j')}" }, { id: c, sha256: "${digest.toUpperCase()}" }] }`, 'apiKey')), [
    ['auth.apiKeys.keys.1.id', "duplicate key id 'a' (also auth.apiKeys.keys.0)"],
    ['auth.apiKeys.keys.2.sha256', 'the same key as auth.apiKeys.keys.0']
  ])
})

test('an HMAC secret shorter than 32 bytes is refused, naming file, line and key', () => {
  const text = config('  jwt:\n    secret: change-me-in-production', 'jwt')
  assert.deepEqual(configProblems(text).map(formatProblem), [
    'gw.yaml:5:13 auth.jwt.secret: is 23 bytes; an HMAC secret needs at least 32 (generate one with `openssl rand -base64 48`)'
  ])
  assert.deepEqual(problems(config(`  jwt: { secret: "${'x'.repeat(32)}" }`, 'jwt')), [])
  // Bytes, not characters: 11 three-byte characters are 33 bytes.
  assert.deepEqual(problems(config(`  jwt: { secret: "${'€'.repeat(11)}" }`, 'jwt')), [])
})
