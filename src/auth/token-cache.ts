// Tokens this generation has already verified, so a client that sends the same JWT on
// every request pays the signature check once, not per request: jose v6 runs on Web
// Crypto, where one verification costs around 0.1-0.3 ms of async work against about
// 1 µs for this lookup. Only verified tokens get in, looked up by their exact text
// (signature included), so nothing unverified can ever be served from here.
//
// An entry lives at most MAX_AGE_MS, and `exp` is checked again on every hit, so a
// cached token expires on time. The cache belongs to one config generation: a reload
// that changes keys, issuer or audience starts empty.
import { LRUCache } from 'lru-cache'
import type { VerifiedToken } from './jwt-verifier.js'

const MAX_ENTRIES = 10_000
/** Token text held at most (tokens are usually well under 2 KB). */
const MAX_BYTES = 16 * 1024 * 1024
/** Bounds how long a key removed from the JWKS keeps working for a token verified with it. */
const MAX_AGE_MS = 60_000

export class TokenCache {
  private readonly entries = new LRUCache<string, VerifiedToken>({
    max: MAX_ENTRIES,
    maxSize: MAX_BYTES,
    sizeCalculation: (_value, token) => token.length,
    ttl: MAX_AGE_MS
  })

  /** `clockSkew` in ms, as auth.jwt.clockSkew: the leeway given to `exp`. */
  constructor (private readonly clockSkew: number) {}

  /** The verified token, 'expired' for one that has expired since, undefined when not cached. */
  get (token: string): VerifiedToken | 'expired' | undefined {
    const hit = this.entries.get(token)
    if (hit === undefined) return undefined
    const exp = hit.claims.exp
    if (typeof exp === 'number' && exp * 1000 <= Date.now() - this.clockSkew) {
      this.entries.delete(token)
      return 'expired'
    }
    return hit
  }

  set (token: string, verified: VerifiedToken): void {
    this.entries.set(token, verified)
  }
}
