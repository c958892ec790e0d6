// The single route with two user plugins: two light ones (the example tenant header
// router, compiled in dist/examples/plugins, and a plugin that stamps a response
// header), the cost of the plugin machinery; and the two examples (the HMAC signature
// check, then the tenant router), where the HMAC itself is most of the cost. The load
// carries one signed request (valid for the whole run) and a tenant for all of them.
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { canonicalString, sign } from '../../examples/plugins/hmac-signature.js'
import { singleRoute, type TurnpikeConfig } from './turnpike.js'

const SECRET = 'bench-hmac-secret-0123456789-0123456789'
/** What the load generator requests (bench targets all serve /api/hello). */
const PATH = '/api/hello'

const STAMP = `export default {
  name: 'stamp',
  register (route) {
    route.addHook('onRequest', (request, reply, done) => {
      request.turnpike.downstreamHeaders.set('x-served-by', 'turnpike')
      done()
    })
  }
}
`

function withPlugins (names: string): TurnpikeConfig {
  return async (ctx, ports) => {
    const built = join(ctx.root, 'dist', 'examples', 'plugins')
    const stamp = join(ctx.tmpDir, 'stamp-plugin.mjs')
    writeFileSync(stamp, STAMP)
    return (await singleRoute(ctx, ports))
      .replace('upstreams:\n', `plugins:
  - { name: signed, module: ${join(built, 'hmac-signature.js')}, options: { secret: ${SECRET}, maxSkew: 86400 } }
  - { name: tenant, module: ${join(built, 'tenant.js')}, options: { tenants: [acme, globex] } }
  - { name: stamp, module: ${stamp} }
upstreams:
`)
      .replace('    stripPrefix: true\n', `    stripPrefix: true\n    plugins: ${names}\n`)
  }
}

/** The tenant router and the header stamp: what two light plugins cost. */
export const withTwoLightPlugins = withPlugins('[tenant, stamp]')
/** The two examples: the HMAC check (one HMAC-SHA256 per request) and the tenant router. */
export const withTwoExamplePlugins = withPlugins('[signed, tenant]')

export async function signedTenantHeaders (): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(Date.now() / 1000))
  const digest = createHash('sha256').update('').digest('hex')
  return {
    'x-tenant': 'acme',
    'x-signature-timestamp': timestamp,
    'x-content-sha256': digest,
    'x-signature': sign(SECRET, canonicalString('GET', PATH, timestamp, digest))
  }
}
