// The signing keys at `auth.jwt.jwksUrl`, fetched with jose's createRemoteJWKSet: once,
// then cached; refetched when a token names an unknown `kid` (key rotation) but not
// within COOLDOWN_MS of the last fetch, so a flood of made-up kids cannot make the
// gateway hammer the identity provider. One instance per URL lives in EdgeState and
// survives reloads, with its cache.
//
// When a fetch fails (identity provider down), jose would try again on every
// verification and refuse every token meanwhile. Instead, for RETRY_AFTER_FAILURE_MS
// after a failure we make no fetch and verify against the last keys we got, if any:
// an outage costs the IdP one request per few seconds and costs callers nothing as
// long as their keys did not change.
import { createLocalJWKSet, createRemoteJWKSet, errors, type CryptoKey, type FlattenedJWSInput, type JSONWebKeySet, type JWSHeaderParameters, type RemoteJWKSet } from 'jose'
import type { Logger } from 'pino'
import type { Kept } from '../edge/state.js'

const COOLDOWN_MS = 30_000
const CACHE_MAX_AGE_MS = 10 * 60_000
const FETCH_TIMEOUT_MS = 5_000
const RETRY_AFTER_FAILURE_MS = 5_000

/** Errors of the key lookup itself (the token names no key we have), not of the fetch. */
const LOOKUP_ERRORS: ReadonlySet<string> = new Set([
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
  errors.JOSENotSupported.code,
  errors.JWSInvalid.code
])

/** The JWKS could not be fetched (or not lately): no token can be checked against it. */
export class KeysUnavailableError extends Error {
  constructor (options?: { cause?: unknown }) {
    super('signing keys unavailable', options)
    this.name = 'KeysUnavailableError'
  }
}

export class JwksKeys implements Kept {
  private readonly remote: RemoteJWKSet
  private failedAt = -Infinity
  /** A lookup over the last fetched set, for use while fetches fail. */
  private last: { readonly jwks: JSONWebKeySet, readonly keyFor: (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey> } | null = null

  constructor (readonly url: string, private readonly logger: Logger) {
    this.remote = createRemoteJWKSet(new URL(url), {
      cooldownDuration: COOLDOWN_MS,
      cacheMaxAge: CACHE_MAX_AGE_MS,
      timeoutDuration: FETCH_TIMEOUT_MS
    })
  }

  /** The key for a token's header; rejects with a jose error, or KeysUnavailableError when there are no keys. */
  readonly keyFor = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    if (Date.now() - this.failedAt < RETRY_AFTER_FAILURE_MS) return await this.lastKnown(header, token)
    try {
      return await this.remote(header, token)
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (typeof code === 'string' && LOOKUP_ERRORS.has(code)) throw err
      this.fetchFailed(err)
      return await this.lastKnown(header, token, err)
    }
  }

  private async lastKnown (header: JWSHeaderParameters, token: FlattenedJWSInput, cause?: unknown): Promise<CryptoKey> {
    const jwks = this.remote.jwks()
    if (jwks === undefined) throw new KeysUnavailableError({ cause })
    if (this.last?.jwks !== jwks) this.last = { jwks, keyFor: createLocalJWKSet(jwks) }
    return await this.last.keyFor(header, token)
  }

  /** Nothing to release: jose holds no timer or socket between fetches. */
  close (): void {}

  private fetchFailed (err: unknown): void {
    const first = Date.now() - this.failedAt >= RETRY_AFTER_FAILURE_MS
    this.failedAt = Date.now()
    // One line per outage window, not one per refused request.
    if (first) this.logger.warn({ err, url: this.url }, 'could not fetch the JWKS')
  }
}
