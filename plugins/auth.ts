// The auth policy (`auth`, route `auth: none | jwt | apiKey | any`). Keys are
// imported and digests decoded here, once per config generation; the hook only reads
// them. It runs after CORS, so preflights are answered before credentials are asked
// for, and on WebSocket handshakes too (they pass through the same hooks). No route
// with auth: no hook at all.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { PolicyOptions } from '../src/policies.js'
import { ApiKeyChecker } from '../src/auth/api-keys.js'
import { AuthGuard, type AuthMode } from '../src/auth/guard.js'
import { loadJwtKeys } from '../src/auth/jwt-keys.js'
import { JwtVerifier } from '../src/auth/jwt-verifier.js'

async function authPolicy (scope: FastifyInstance, options: PolicyOptions): Promise<void> {
  const { config, edge, logger } = options
  const modes = new Set(config.routes.map((route) => route.auth))
  const usesJwt = modes.has('jwt') || modes.has('any')
  const usesKeys = modes.has('apiKey') || modes.has('any')
  if (!usesJwt && !usesKeys) return

  // The config check guarantees both sections; failing here keeps a route from going unguarded.
  const jwtConfig = config.auth?.jwt
  const keysConfig = config.auth?.apiKeys
  if (usesJwt && jwtConfig === undefined) throw new Error('a route uses auth: jwt but auth.jwt is not configured')
  if (usesKeys && keysConfig === undefined) throw new Error('a route uses auth: apiKey but auth.apiKeys is not configured')
  const jwt = usesJwt && jwtConfig !== undefined ? new JwtVerifier(await loadJwtKeys(jwtConfig, edge, logger), jwtConfig) : null
  const keys = usesKeys && keysConfig !== undefined ? new ApiKeyChecker(keysConfig) : null
  const guard = new AuthGuard(jwt, keys)

  scope.addHook('onRequest', (request, reply, done) => {
    // The schema allows exactly none | jwt | apiKey | any.
    const mode = request.turnpike.route?.config.auth as AuthMode | 'none' | undefined
    if (mode === undefined || mode === 'none') done()
    else guard.check(mode, request, reply, done)
  })
}

export default fp(authPolicy, { name: 'turnpike-auth', fastify: '5.x' })
