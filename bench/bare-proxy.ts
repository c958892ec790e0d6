// The floor for a Fastify-based proxy: fastify + @fastify/http-proxy, logger off, no
// policies. The distance between this and Turnpike is what Turnpike's features cost.
// Runs as its own process; prints `listening <port>` when ready.
import Fastify from 'fastify'
import proxy from '@fastify/http-proxy'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    upstream: { type: 'string' },
    port: { type: 'string', default: '0' }
  }
})
if (values.upstream === undefined) throw new Error('--upstream is required')

const app = Fastify({ logger: false })
await app.register(proxy, {
  upstream: values.upstream,
  prefix: '/api',
  // The same one-header edit the Turnpike route does, so both do comparable work; set on
  // the headers object it is given rather than on a copy, which would add a cost of its own.
  replyOptions: {
    rewriteRequestHeaders: (_req, headers) => {
      headers['x-gateway'] = 'bare'
      return headers
    }
  }
})
await app.listen({ port: Number(values.port), host: '127.0.0.1' })
const address = app.server.address()
console.log(`listening ${typeof address === 'object' && address !== null ? address.port : 0}`)

process.once('SIGTERM', () => {
  app.close().then(() => process.exit(0), () => process.exit(1))
})
