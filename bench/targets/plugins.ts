// The single route with two user plugins, the two examples (compiled, from
// dist/examples/plugins): the HMAC signature check, then the tenant header router. The
// load carries one signed request (a signature valid for the whole run) and a tenant.
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { canonicalString, sign } from '../../examples/plugins/hmac-signature.js'
import { singleRoute, type TurnpikeConfig } from './turnpike.js'

const SECRET = 'bench-hmac-secret-0123456789-0123456789'
/** What the load generator requests (bench targets all serve /api/hello). */
const PATH = '/api/hello'

export const withTwoPlugins: TurnpikeConfig = async (ctx, ports) => {
  const built = join(ctx.root, 'dist', 'examples', 'plugins')
  return (await singleRoute(ctx, ports))
    .replace('upstreams:\n', `plugins:
  - { name: signed, module: ${join(built, 'hmac-signature.js')}, options: { secret: ${SECRET}, maxSkew: 86400 } }
  - { name: tenant, module: ${join(built, 'tenant.js')}, options: { tenants: [acme, globex] } }
upstreams:
`)
    .replace('    stripPrefix: true\n', '    stripPrefix: true\n    plugins: [signed, tenant]\n')
}

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
