// An example user plugin: the tenant header router. Every request on a route that lists
// it must say which tenant it is for (by default in `x-tenant`); one that does not, or
// names a tenant not on the list, is answered 400 here and never reaches an upstream.
// The tenant goes upstream in a header of the gateway's own (`x-tenant-id`), which a
// client cannot set: the gateway replaces whatever the client sent under that name.
import { definePlugin, Type } from 'turnpike'

const TENANT = /^[A-Za-z0-9_-]{1,64}$/

export default definePlugin({
  name: 'tenant',
  options: Type.Object({
    header: Type.String({ default: 'x-tenant', description: 'the request header that names the tenant' }),
    upstreamHeader: Type.String({ default: 'x-tenant-id', description: 'the header the upstream reads the tenant from' }),
    tenants: Type.Optional(Type.Array(Type.String({ pattern: TENANT.source }), { minItems: 1, description: 'the tenants served; others get 400' }))
  }, { additionalProperties: false }),
  async register (route, options) {
    // Config time: lower-case names once, a Set for the look-up.
    const header = options.header.toLowerCase()
    const upstreamHeader = options.upstreamHeader.toLowerCase()
    const allowed = options.tenants === undefined ? null : new Set(options.tenants)
    route.addHook('onRequest', (request, reply, done) => {
      const tenant = request.headers[header]
      if (typeof tenant !== 'string' || !TENANT.test(tenant) || (allowed !== null && !allowed.has(tenant))) {
        void reply.code(400).type('application/json; charset=utf-8').send({
          statusCode: 400,
          error: 'Bad Request',
          code: 'TENANT_REQUIRED',
          message: typeof tenant === 'string' ? `unknown tenant in ${header}` : `the ${header} header names no tenant`,
          requestId: request.id
        })
        return
      }
      request.turnpike.upstreamHeaders.set(upstreamHeader, tenant)
      done()
    })
  }
})
