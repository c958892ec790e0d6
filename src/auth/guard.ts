// Decides one request on a route with `auth: jwt | apiKey | any` and records who the
// caller is. API keys and tokens verified before are checked synchronously; only a
// token not seen yet makes the check asynchronous (one promise for the signature).
import type { FastifyReply, FastifyRequest } from 'fastify'
import { UnauthorizedError } from '../errors.js'
import type { ApiKeyChecker } from './api-keys.js'
import { bearerToken } from './bearer-token.js'
import { apiKeyChallenge, BEARER_CHALLENGE, invalidTokenChallenge } from './challenge.js'
import { InvalidTokenError, type JwtVerifier, type VerifiedToken } from './jwt-verifier.js'

export type AuthMode = 'jwt' | 'apiKey' | 'any'
type Done = (err?: Error) => void

export class AuthGuard {
  private readonly keyChallenge: string | undefined

  /** `jwt` is null when no route uses jwt/any, `keys` when none uses apiKey/any. */
  constructor (private readonly jwt: JwtVerifier | null, private readonly keys: ApiKeyChecker | null) {
    this.keyChallenge = keys === null ? undefined : apiKeyChallenge(keys.header)
  }

  check (mode: AuthMode, request: FastifyRequest, reply: FastifyReply, done: Done): void {
    let keyRefused = false
    if (mode !== 'jwt' && this.keys !== null) {
      const presented = request.headers[this.keys.header]
      if (typeof presented === 'string' && presented !== '') {
        const id = this.keys.check(presented)
        if (id !== null) {
          request.turnpike.identity = { kind: 'apiKey', id }
          done()
          return
        }
        keyRefused = true
      }
    }
    const token = mode !== 'apiKey' && this.jwt !== null ? bearerToken(request.headers.authorization) : undefined
    if (token === undefined || this.jwt === null) {
      done(this.refuse(mode, reply, keyRefused, null))
      return
    }
    const cached = this.jwt.cached(token)
    if (cached instanceof InvalidTokenError) {
      done(this.refuse(mode, reply, keyRefused, cached.reason))
    } else if (cached !== undefined) {
      accept(request, cached)
      done()
    } else {
      this.verify(this.jwt, token, mode, request, reply, keyRefused, done)
    }
  }

  private verify (jwt: JwtVerifier, token: string, mode: AuthMode, request: FastifyRequest, reply: FastifyReply, keyRefused: boolean, done: Done): void {
    jwt.verify(token).then((verified: VerifiedToken) => {
      accept(request, verified)
      done()
    }, (err: unknown) => {
      done(this.refuse(mode, reply, keyRefused, err instanceof InvalidTokenError ? err.reason : 'invalid token'))
    })
  }

  /** The 401 and its challenges; `tokenReason` is null when no bearer token was sent. */
  private refuse (mode: AuthMode, reply: FastifyReply, keyRefused: boolean, tokenReason: string | null): Error {
    const bearer = tokenReason === null ? BEARER_CHALLENGE : invalidTokenChallenge(tokenReason)
    if (mode === 'jwt') reply.header('www-authenticate', bearer)
    else if (mode === 'apiKey') reply.header('www-authenticate', this.keyChallenge)
    else reply.header('www-authenticate', [bearer, this.keyChallenge])
    const failures: string[] = []
    if (keyRefused) failures.push('invalid API key')
    if (tokenReason !== null) failures.push(`invalid token (${tokenReason})`)
    if (failures.length > 0) return new UnauthorizedError(capitalized(failures.join('; ')))
    return new UnauthorizedError(MISSING[mode])
  }
}

function accept (request: FastifyRequest, verified: VerifiedToken): void {
  request.turnpike.identity = { kind: 'jwt', id: verified.sub }
  request.turnpike.claims = verified.claims
}

const MISSING: Readonly<Record<AuthMode, string>> = {
  jwt: 'Missing bearer token',
  apiKey: 'Missing API key',
  any: 'Missing credentials: send a bearer token or an API key'
}

function capitalized (text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
