// Which JWT algorithms fit which key material. Shared by the config check and the
// verifier, so that what validates is exactly what runs: an HS* token is only ever
// checked against the secret and an asymmetric one only against the public key or
// JWKS, which is what makes algorithm/key confusion impossible.
import type { KeyObject } from 'node:crypto'
import type { AuthConfig } from '../config/schema.js'

export type JwtConfig = NonNullable<AuthConfig['jwt']>
export type JwtAlgorithm = NonNullable<JwtConfig['algorithms']>[number]

export const HMAC_ALGORITHMS: ReadonlySet<string> = new Set(['HS256', 'HS384', 'HS512'])
export const ASYMMETRIC_ALGORITHMS: ReadonlySet<string> = new Set(['RS256', 'ES256', 'EdDSA'])

export const HMAC_HASH: Readonly<Record<string, string>> = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' }

/** Where the verification keys come from; the config allows exactly one. */
export type KeySource = 'secret' | 'publicKey' | 'jwksUrl'

/** The key source that is set (non-empty), or undefined when none is. */
export function keySourceOf (jwt: { secret?: unknown, publicKey?: unknown, jwksUrl?: unknown }): KeySource | undefined {
  if (typeof jwt.secret === 'string' && jwt.secret !== '') return 'secret'
  if (typeof jwt.publicKey === 'string' && jwt.publicKey !== '') return 'publicKey'
  if (typeof jwt.jwksUrl === 'string' && jwt.jwksUrl !== '') return 'jwksUrl'
  return undefined
}

/** `auth.jwt.algorithms`, or the default for the key source. */
export function algorithmsFor (configured: readonly string[] | undefined, source: KeySource): string[] {
  if (configured !== undefined) return [...configured]
  return source === 'secret' ? ['HS256'] : ['RS256', 'ES256', 'EdDSA']
}

/** True when `alg` may be verified with keys from `source`. */
export function fitsSource (alg: string, source: KeySource): boolean {
  return source === 'secret' ? HMAC_ALGORITHMS.has(alg) : ASYMMETRIC_ALGORITHMS.has(alg)
}

/**
 * The algorithm a PEM public key can verify, or a reason it cannot be used. RSA keys
 * under 2048 bits are refused (RFC 7518 §3.3; jose refuses them too).
 */
export function algorithmOfKey (key: KeyObject): { alg: JwtAlgorithm } | { problem: string } {
  const type = key.asymmetricKeyType
  const details = key.asymmetricKeyDetails ?? {}
  if (type === 'rsa') {
    const bits = details.modulusLength ?? 0
    return bits >= 2048 ? { alg: 'RS256' } : { problem: `an RSA key of ${bits} bits is too short (2048 at least)` }
  }
  if (type === 'ec') {
    return details.namedCurve === 'prime256v1'
      ? { alg: 'ES256' }
      : { problem: `EC curve ${String(details.namedCurve)} is not supported (ES256 needs P-256)` }
  }
  if (type === 'ed25519') return { alg: 'EdDSA' }
  return { problem: `key type ${String(type)} is not supported (use RSA, EC P-256 or Ed25519)` }
}
