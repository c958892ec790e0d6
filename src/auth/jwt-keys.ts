// The verification keys of `auth.jwt`, imported once at plugin registration (a
// CryptoKey per algorithm), never per request: jose re-imports a raw secret on every
// call if it is handed bytes. The resolver picks the key by the token's algorithm
// family, so an HS* token never meets the public key and an RS/ES/EdDSA one never
// meets the secret; an algorithm outside the configured list has no key at all.
import { createPublicKey } from 'node:crypto'
import { errors, importSPKI, type CryptoKey, type FlattenedJWSInput, type JWSHeaderParameters } from 'jose'
import type { Logger } from 'pino'
import type { EdgeState } from '../edge/state.js'
import { algorithmOfKey, algorithmsFor, fitsSource, HMAC_HASH, keySourceOf, type JwtConfig } from './algorithms.js'
import { JwksKeys } from './jwks.js'

export type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey> | CryptoKey

export interface JwtKeys {
  /** The algorithms tokens may use: the configured ones that fit the key material. */
  readonly algorithms: string[]
  readonly keyFor: KeyResolver
}

export async function loadJwtKeys (jwt: JwtConfig, edge: EdgeState, logger: Logger): Promise<JwtKeys> {
  const source = keySourceOf(jwt)
  if (source === undefined) throw new Error('auth.jwt has no secret, publicKey or jwksUrl')
  const algorithms = algorithmsFor(jwt.algorithms, source).filter((alg) => fitsSource(alg, source))
  const byAlg = new Map<string, CryptoKey>()

  if (source === 'jwksUrl') {
    const url = jwt.jwksUrl as string
    const jwks = edge.keep('jwks:' + url, () => new JwksKeys(url, logger))
    const allowed = new Set(algorithms)
    return {
      algorithms,
      keyFor: (header, token) => allowed.has(header.alg ?? '') ? jwks.keyFor(header, token) : notAllowed()
    }
  }
  if (source === 'secret') {
    const secret = new TextEncoder().encode(jwt.secret)
    for (const alg of algorithms) {
      byAlg.set(alg, await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: HMAC_HASH[alg] as string }, false, ['verify']))
    }
  } else {
    const key = createPublicKey(jwt.publicKey as string)
    const fit = algorithmOfKey(key)
    // Any PEM public key node:crypto reads (SPKI, PKCS#1, a certificate) becomes SPKI for jose.
    const spki = key.export({ format: 'pem', type: 'spki' }).toString()
    if ('alg' in fit && algorithms.includes(fit.alg)) byAlg.set(fit.alg, await importSPKI(spki, fit.alg))
  }
  if (byAlg.size === 0) throw new Error(`auth.jwt: none of the algorithms ${algorithms.join(', ')} fits the configured ${source}`)
  return {
    algorithms: [...byAlg.keys()],
    keyFor: (header) => byAlg.get(header.alg ?? '') ?? notAllowed()
  }
}

function notAllowed (): never {
  throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed')
}
