// Cross-checks of `auth` and the routes that use it. A route whose auth cannot work
// is an error, never a route left open: `auth: jwt` needs `auth.jwt` with exactly
// one source of keys, algorithms that fit those keys (the same rules the verifier
// runs, src/auth/algorithms.ts), and a secret that is neither empty nor short.
import { createPublicKey } from 'node:crypto'
import { algorithmOfKey, fitsSource, type KeySource } from '../auth/algorithms.js'
import type { Issue } from './problem.js'
import { isObject, itemsOf } from './guards.js'

const SOURCES: readonly KeySource[] = ['secret', 'publicKey', 'jwksUrl']
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** RFC 7518 §3.2: an HMAC key at least as long as the hash output (HS256: 32 bytes). */
export const MIN_HMAC_SECRET_BYTES = 32

/** The first route that uses each kind of credentials, as `routes.N`, for messages. */
interface Users { jwt?: string, apiKey?: string }

export function authIssues (config: Record<string, unknown>): Issue[] {
  const auth = isObject(config.auth) ? config.auth : {}
  const issues: Issue[] = []
  const users: Users = {}
  itemsOf(config.routes).forEach((route, i) => {
    if (!isObject(route)) return
    const mode = route.auth
    const missing: string[] = []
    if (mode === 'jwt' || mode === 'any') {
      users.jwt ??= `routes.${i}`
      if (!isObject(auth.jwt)) missing.push('auth.jwt')
    }
    if (mode === 'apiKey' || mode === 'any') {
      users.apiKey ??= `routes.${i}`
      if (!isObject(auth.apiKeys)) missing.push('auth.apiKeys')
    }
    if (missing.length > 0) {
      issues.push({ path: ['routes', i, 'auth'], message: `auth: ${String(mode)} needs ${missing.join(' and ')}, ${missing.length > 1 ? 'which are' : 'which is'} not configured` })
    }
  })
  if (isObject(auth.jwt)) issues.push(...jwtIssues(auth.jwt, users.jwt))
  if (isObject(auth.apiKeys)) issues.push(...apiKeyIssues(auth.apiKeys, users.apiKey))
  return issues
}

function jwtIssues (jwt: Record<string, unknown>, usedBy: string | undefined): Issue[] {
  const at = (...rest: Array<string | number>) => ['auth', 'jwt', ...rest]
  const declared = SOURCES.filter((source) => jwt[source] !== undefined)
  const set = declared.filter((source) => jwt[source] !== '')
  if (set.length > 1) {
    return [{ path: at(), message: `set exactly one of secret, publicKey or jwksUrl (found ${set.join(' and ')})` }]
  }
  if (declared.length === 0) return [{ path: at(), message: 'needs one of secret, publicKey or jwksUrl' }]
  const source = set[0] ?? declared[0] as KeySource
  const issues: Issue[] = []
  if (set.length === 0 && usedBy !== undefined) {
    issues.push({ path: at(source), message: `is empty (an unset environment variable?), and ${usedBy} uses JWT auth` })
  }

  if (source === 'secret' && typeof jwt.secret === 'string' && jwt.secret !== '') {
    const bytes = Buffer.byteLength(jwt.secret)
    if (bytes < MIN_HMAC_SECRET_BYTES) {
      issues.push({ path: at('secret'), message: `is ${bytes} byte${bytes === 1 ? '' : 's'}; an HMAC secret needs at least ${MIN_HMAC_SECRET_BYTES} (generate one with \`openssl rand -base64 48\`)` })
    }
  }

  const explicit = Array.isArray(jwt.algorithms) ? jwt.algorithms : undefined
  explicit?.forEach((alg, j) => {
    if (typeof alg !== 'string' || fitsSource(alg, source)) return
    const message = source === 'secret'
      ? `${alg} needs a publicKey or jwksUrl; with a secret only HS256, HS384 or HS512 can be used`
      : `${alg} needs a secret; with a ${source} only RS256, ES256 or EdDSA can be used`
    issues.push({ path: at('algorithms', j), message })
  })

  if (source === 'publicKey' && typeof jwt.publicKey === 'string' && jwt.publicKey !== '') {
    const problem = publicKeyProblem(jwt.publicKey, explicit)
    if (problem !== undefined) issues.push({ path: at(problem.at), message: problem.message })
  }
  return issues
}

/** What is wrong with a PEM public key, or with the algorithms listed for it. */
function publicKeyProblem (pem: string, explicit: unknown[] | undefined): { at: string, message: string } | undefined {
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) {
    return { at: 'publicKey', message: 'is a private key: give the public key (a private key must never be in the config)' }
  }
  let fit: ReturnType<typeof algorithmOfKey>
  try {
    fit = algorithmOfKey(createPublicKey({ key: pem, format: 'pem' }))
  } catch (err) {
    return { at: 'publicKey', message: `is not a PEM public key (${(err as Error).message})` }
  }
  if ('problem' in fit) return { at: 'publicKey', message: fit.problem }
  if (explicit !== undefined && !explicit.includes(fit.alg)) {
    return { at: 'algorithms', message: `the publicKey verifies only ${fit.alg}, which is not in this list` }
  }
  return undefined
}

function apiKeyIssues (apiKeys: Record<string, unknown>, usedBy: string | undefined): Issue[] {
  const at = (...rest: Array<string | number>) => ['auth', 'apiKeys', ...rest]
  const issues: Issue[] = []
  if (typeof apiKeys.header === 'string' && !HEADER_NAME.test(apiKeys.header)) {
    issues.push({ path: at('header'), message: `'${apiKeys.header}' is not a valid header name` })
  }
  const keys = itemsOf(apiKeys.keys)
  if (Array.isArray(apiKeys.keys) && keys.length === 0 && usedBy !== undefined) {
    issues.push({ path: at('keys'), message: `is empty, so no request can pass ${usedBy}, which uses API keys` })
  }
  const firstId = new Map<string, number>()
  const firstDigest = new Map<string, number>()
  keys.forEach((key, j) => {
    if (!isObject(key)) return
    if (typeof key.id === 'string') {
      const first = firstId.get(key.id)
      if (first === undefined) firstId.set(key.id, j)
      else issues.push({ path: at('keys', j, 'id'), message: `duplicate key id '${key.id}' (also auth.apiKeys.keys.${first})` })
    }
    if (typeof key.sha256 === 'string') {
      const digest = key.sha256.toLowerCase()
      const first = firstDigest.get(digest)
      if (first === undefined) firstDigest.set(digest, j)
      else issues.push({ path: at('keys', j, 'sha256'), message: `the same key as auth.apiKeys.keys.${first}` })
    }
  })
  return issues
}
