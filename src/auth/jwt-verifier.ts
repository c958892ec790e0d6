// Verifies a bearer token against `auth.jwt`: signature (keys from jwt-keys.ts),
// exp/nbf with `clockSkew` as leeway, issuer, audience, and a string `sub` (the
// caller's identity). A refusal carries a short reason for the RFC 6750
// error_description; it names the failed check, never key material or claim values.
// Verified tokens are remembered (token-cache.ts) so a repeated token is checked once.
import { errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose'
import type { JwtConfig } from './algorithms.js'
import type { JwtKeys } from './jwt-keys.js'
import { KeysUnavailableError } from './jwks.js'
import { TokenCache } from './token-cache.js'

export interface VerifiedToken {
  readonly sub: string
  readonly claims: JWTPayload
}

/** A token that failed verification; `reason` is safe to show the client. */
export class InvalidTokenError extends Error {
  constructor (readonly reason: string, options?: { cause?: unknown }) {
    super(reason, options)
    this.name = 'InvalidTokenError'
  }
}

export class JwtVerifier {
  private readonly options: JWTVerifyOptions
  private readonly cache: TokenCache

  constructor (private readonly keys: JwtKeys, jwt: JwtConfig) {
    this.options = {
      algorithms: keys.algorithms,
      clockTolerance: jwt.clockSkew / 1000,
      issuer: jwt.issuer,
      audience: jwt.audience,
      requiredClaims: ['sub']
    }
    this.cache = new TokenCache(jwt.clockSkew)
  }

  /** A token verified before, synchronously: no promise on the common path. */
  cached (token: string): VerifiedToken | InvalidTokenError | undefined {
    const hit = this.cache.get(token)
    return hit === 'expired' ? new InvalidTokenError('token expired') : hit
  }

  /** The token's subject and claims; rejects with InvalidTokenError. */
  async verify (token: string): Promise<VerifiedToken> {
    let claims: JWTPayload
    try {
      claims = (await jwtVerify(token, this.keys.keyFor, this.options)).payload
    } catch (err) {
      throw new InvalidTokenError(reasonOf(err), { cause: err })
    }
    if (typeof claims.sub !== 'string' || claims.sub === '') throw new InvalidTokenError('invalid sub claim')
    const verified = { sub: claims.sub, claims }
    this.cache.set(token, verified)
    return verified
  }
}

const CLAIM_REASONS: Readonly<Record<string, string>> = {
  nbf: 'token not yet valid',
  iss: 'wrong issuer',
  aud: 'wrong audience',
  sub: 'token has no subject',
  iat: 'invalid iat claim'
}

function reasonOf (err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'token expired'
  if (err instanceof errors.JWTClaimValidationFailed) return CLAIM_REASONS[err.claim] ?? 'invalid claims'
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad signature'
  if (err instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed'
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return 'unknown signing key'
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid || err instanceof errors.JOSENotSupported) return 'malformed token'
  if (err instanceof KeysUnavailableError) return err.message
  return 'invalid token'
}
