// The auth policy (`auth`, route `auth: none | jwt | apiKey | any`). Keys are
// imported and digests decoded here, once per config generation; each guarded route's
// scope gets a hook that knows its mode, so the hook only reads. It runs after CORS, so
// preflights are answered before credentials are asked for, and on WebSocket handshakes
// too (they pass through the same hooks). A route with `auth: none` gets no hook.
import type { PolicyOptions, RoutePolicy } from '../src/routing/route-policy.js'
import { ApiKeyChecker } from '../src/auth/api-keys.js'
import { AuthGuard, type AuthMode } from '../src/auth/guard.js'
import { loadJwtKeys } from '../src/auth/jwt-keys.js'
import { JwtVerifier } from '../src/auth/jwt-verifier.js'

export async function prepareAuth (options: PolicyOptions): Promise<RoutePolicy | null> {
  const { config, edge, logger } = options
  const modes = new Set(config.routes.map((route) => route.auth))
  const usesJwt = modes.has('jwt') || modes.has('any')
  const usesKeys = modes.has('apiKey') || modes.has('any')
  if (!usesJwt && !usesKeys) return null

  // The config check guarantees both sections; failing here keeps a route from going unguarded.
  const jwtConfig = config.auth?.jwt
  const keysConfig = config.auth?.apiKeys
  if (usesJwt && jwtConfig === undefined) throw new Error('a route uses auth: jwt but auth.jwt is not configured')
  if (usesKeys && keysConfig === undefined) throw new Error('a route uses auth: apiKey but auth.apiKeys is not configured')
  const jwt = usesJwt && jwtConfig !== undefined ? new JwtVerifier(await loadJwtKeys(jwtConfig, edge, logger), jwtConfig) : null
  const keys = usesKeys && keysConfig !== undefined ? new ApiKeyChecker(keysConfig) : null
  const guard = new AuthGuard(jwt, keys)

  return (scope, route) => {
    // The schema allows exactly none | jwt | apiKey | any.
    const mode = route.config.auth as AuthMode | 'none'
    if (mode === 'none') return
    scope.addHook('onRequest', (request, reply, done) => { guard.check(mode, request, reply, done) })
  }
}
